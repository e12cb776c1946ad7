using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace GradGuard.Analyzers.NetworkModel
{
    internal sealed partial class NetworkInterpreter
    {
        /// <summary>
        /// Whether a value matches a pattern, where the value decides it: type tests on modules (<c>m is Conv2d conv</c>,
        /// <c>case BatchNorm2d bn:</c>), null tests, constants and relations. A pattern that may match binds its
        /// variables, so the branch it guards sees them.
        /// </summary>
        private bool? Match(Value? value, IPatternOperation pattern, Frame frame)
        {
            switch (pattern)
            {
                case IDeclarationPatternOperation declaration:
                    // `var x` matches anything, null included; `Linear lin` tests the type.
                    var matchesType = declaration.MatchesNull ? true : IsOfType(value, declaration.MatchedType);
                    if (matchesType != false && declaration.DeclaredSymbol is { } declared)
                    {
                        DeclareLocal(frame, declared, value);
                    }

                    return matchesType;
                case ITypePatternOperation type:
                    return IsOfType(value, type.MatchedType);
                case IConstantPatternOperation constant:
                    return Equal(value, Eval(constant.Value, frame));
                case INegatedPatternOperation negated:
                    return !Match(value, negated.Pattern, frame);
                case IBinaryPatternOperation binary:
                    var left = Match(value, binary.LeftPattern, frame);
                    var right = Match(value, binary.RightPattern, frame);
                    return binary.OperatorKind == BinaryOperatorKind.Or ? Or(left, right) : And(left, right);
                case IRelationalPatternOperation relational:
                    return value is ConstantValue known && Eval(relational.Value, frame) is ConstantValue bound
                        ? ConstantFolding.Binary(relational.OperatorKind, known, bound)?.AsBool
                        : null;
                case IDiscardPatternOperation:
                    return true;
                case IRecursivePatternOperation recursive:
                    var matches = recursive.MatchedType is null ? (bool?)null : IsOfType(value, recursive.MatchedType);
                    if (matches != false && recursive.DeclaredSymbol is { } symbol)
                    {
                        DeclareLocal(frame, symbol, value);
                    }

                    return matches == false ? false : null;
                default:
                    return null;
            }
        }

        /// <summary>
        /// Whether a value is of a type: an instance of a custom class, or layers of one TorchSharp type (a group that
        /// <c>modules()</c> yields); null is of no type.
        /// </summary>
        private bool? IsOfType(Value? value, ITypeSymbol? type)
        {
            switch (value)
            {
                case null:
                    return null;
                case ConstantValue { IsNull: true }:
                    return false;
                case ModuleValue { Type: { } instanceType }:
                    return InheritsFrom(instanceType, type);
                case ModuleValue layers when layers.Nodes.Count > 0 && layers.Nodes.All(n => n is LayerNode { ModuleType: not null }):
                    var verdicts = layers.Nodes.Cast<LayerNode>().Select(l => InheritsFrom(l.ModuleType, type)).Distinct().ToList();
                    return verdicts.Count == 1 ? verdicts[0] : null;
                case WeightValue or TensorValue:
                    return torch.IsTensor(type) || InheritsFrom(torch.Tensor, type) ? true : null;
                default:
                    return null;
            }
        }

        private static bool InheritsFrom(ITypeSymbol? type, ITypeSymbol? baseType)
        {
            if (baseType is null)
            {
                return false;
            }

            if (baseType.SpecialType == SpecialType.System_Object)
            {
                return true;
            }

            for (var current = type; current is not null; current = current.BaseType)
            {
                if (SymbolEqualityComparer.Default.Equals(current, baseType) || SymbolEqualityComparer.Default.Equals(current.OriginalDefinition, baseType.OriginalDefinition) && baseType.Equals(baseType.OriginalDefinition, SymbolEqualityComparer.Default))
                {
                    return true;
                }
            }

            return type?.AllInterfaces.Any(i => SymbolEqualityComparer.Default.Equals(i, baseType)) == true;
        }
    }
}
