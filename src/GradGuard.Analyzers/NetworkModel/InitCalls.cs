using System;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace GradGuard.Analyzers.NetworkModel
{
    /// <summary>
    /// Reads what an init call does to a weight's scale: <c>torch.nn.init</c>'s functions (the tensor first) and the
    /// tensor's own in-place methods (<c>w.normal_(0, 0.02)</c>), defaults included.
    /// </summary>
    internal static class InitCalls
    {
        /// <summary>
        /// Leaky-ReLU slopes above this are not a ReLU gain but a rescaling: TorchSharp's own default is
        /// <c>kaiming_uniform_(w, a: Math.Sqrt(5))</c>, a sixth of He's variance.
        /// </summary>
        private const double LargestReluSlope = 1.0;

        /// <summary>
        /// The init a call gives its tensor, or null for calls that set no weight's scale. <paramref name="number"/>
        /// evaluates an argument to a constant where the source makes it one (a local, <c>Math.Sqrt(2.0 / fanIn)</c>).
        /// </summary>
        public static WeightInit? Classify(IInvocationOperation call, Func<IOperation, double?> number)
        {
            var name = call.TargetMethod.Name;
            // The numbers in the order of the parameters that take them: the arguments come in the order they are written.
            var scale = call.TargetMethod.Parameters
                .Where(p => p.Type.SpecialType is SpecialType.System_Double or SpecialType.System_Single or SpecialType.System_Int32 or SpecialType.System_Int64)
                .Select(p => call.Arguments.FirstOrDefault(a => a.Parameter?.Ordinal == p.Ordinal) is { } argument ? number(argument.Value) : null)
                .ToList();
            double? At(int index) => index < scale.Count ? scale[index] : null;
            var syntax = call.Syntax;

            if (name.StartsWith("kaiming_", StringComparison.Ordinal))
            {
                return new WeightInit(KaimingScheme(call, number), syntax);
            }

            if (name.StartsWith("xavier_", StringComparison.Ordinal) || name.StartsWith("glorot_", StringComparison.Ordinal))
            {
                return new WeightInit(InitScheme.Xavier, syntax);
            }

            return name switch
            {
                "normal_" => WeightInit.Normal(syntax, At(0), At(1)),
                "trunc_normal_" => WeightInit.TruncatedNormal(syntax, At(0), At(1), At(2), At(3)),
                "uniform_" => WeightInit.Uniform(syntax, At(0), At(1)),
                "constant_" or "fill_" => WeightInit.ConstantValue(syntax, ConstantArgument(call, number)),
                "zeros_" or "zero_" => WeightInit.ConstantValue(syntax, 0),
                "ones_" => WeightInit.ConstantValue(syntax, 1),
                "orthogonal_" or "sparse_" or "eye_" or "dirac_" or "copy_" or "set_" => new WeightInit(InitScheme.Structured, syntax),
                _ => null,
            };
        }

        /// <summary>The names of the tensor's in-place methods that set a weight's values.</summary>
        public static bool IsInPlaceInit(string methodName) =>
            methodName is "normal_" or "uniform_" or "trunc_normal_" or "fill_" or "zero_" or "copy_" or "set_";

        private static InitScheme KaimingScheme(IInvocationOperation call, Func<IOperation, double?> number)
        {
            var nonlinearity = ExplicitArgument(call, "nonlinearity");
            if (nonlinearity is not null && EnumMemberName(nonlinearity) is { } gainFor && gainFor is not ("ReLU" or "LeakyReLU"))
            {
                return InitScheme.KaimingForOtherNonlinearity;
            }

            var slope = ExplicitArgument(call, "a");
            return slope is not null && number(slope) > LargestReluSlope ? InitScheme.TorchSharpDefault : InitScheme.He;
        }

        /// <summary><c>constant_(w, value)</c> takes a <c>Scalar</c>, converted from the number the source writes.</summary>
        private static double? ConstantArgument(IInvocationOperation call, Func<IOperation, double?> number)
        {
            var value = call.Arguments.Where(a => a.Parameter is not null && a.Parameter.Ordinal == (call.TargetMethod.IsStatic ? 1 : 0)).FirstOrDefault();
            return value is null ? null : number(Unwrap(value.Value));
        }

        private static IOperation? ExplicitArgument(IInvocationOperation call, string parameterName)
        {
            foreach (var argument in call.Arguments)
            {
                if (argument.Parameter?.Name == parameterName && argument.ArgumentKind != ArgumentKind.DefaultValue)
                {
                    return Unwrap(argument.Value);
                }
            }

            return null;
        }

        private static string? EnumMemberName(IOperation value)
        {
            if (value is IFieldReferenceOperation field)
            {
                return field.Field.Name;
            }

            if (value.Type is INamedTypeSymbol { TypeKind: TypeKind.Enum } enumType && value.ConstantValue.HasValue)
            {
                foreach (var member in enumType.GetMembers())
                {
                    if (member is IFieldSymbol { HasConstantValue: true } constant && Equals(constant.ConstantValue, value.ConstantValue.Value))
                    {
                        return constant.Name;
                    }
                }
            }

            return null;
        }

        private static IOperation Unwrap(IOperation value) => value is IConversionOperation conversion ? Unwrap(conversion.Operand) : value;
    }
}
