using System;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace GradGuard.Analyzers.NetworkModel
{
    /// <summary>Reads what a <c>torch.nn.init</c> call does to a weight's scale, defaults included.</summary>
    internal static class InitCalls
    {
        /// <summary>
        /// Leaky-ReLU slopes above this are not a ReLU gain but a rescaling: TorchSharp's own default is
        /// <c>kaiming_uniform_(w, a: Math.Sqrt(5))</c>, a sixth of He's variance.
        /// </summary>
        private const double LargestReluSlope = 1.0;

        /// <summary>The init a call gives its tensor, or null for calls that do not set a weight's scale (zeros_, ones_...).</summary>
        public static WeightInit? Classify(IInvocationOperation call)
        {
            var name = call.TargetMethod.Name;
            if (name.StartsWith("kaiming_", StringComparison.Ordinal))
            {
                return ClassifyKaiming(call);
            }

            if (name.StartsWith("xavier_", StringComparison.Ordinal) || name.StartsWith("glorot_", StringComparison.Ordinal))
            {
                return WeightInit.Xavier;
            }

            return name is "normal_" or "uniform_" or "trunc_normal_" or "orthogonal_" or "sparse_" ? WeightInit.Custom : null;
        }

        private static WeightInit ClassifyKaiming(IInvocationOperation call)
        {
            var nonlinearity = ExplicitArgument(call, "nonlinearity");
            if (nonlinearity is not null && EnumMemberName(nonlinearity) is { } gainFor && gainFor is not ("ReLU" or "LeakyReLU"))
            {
                return WeightInit.KaimingForOtherNonlinearity;
            }

            var slope = ExplicitArgument(call, "a");
            return slope is not null && NumericValue(slope) > LargestReluSlope ? WeightInit.TorchSharpDefault : WeightInit.He;
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

        /// <summary>A constant, or <c>Math.Sqrt</c> of one; null when the value is only known at run time.</summary>
        private static double? NumericValue(IOperation value)
        {
            if (value.ConstantValue is { HasValue: true, Value: { } constant } && constant is IConvertible convertible && constant is not string and not bool)
            {
                return convertible.ToDouble(System.Globalization.CultureInfo.InvariantCulture);
            }

            if (value is IInvocationOperation { TargetMethod: { Name: "Sqrt", ContainingType.SpecialType: SpecialType.None } sqrt } invocation
                && sqrt.ContainingType.ToDisplayString() == "System.Math"
                && invocation.Arguments.Length == 1
                && NumericValue(Unwrap(invocation.Arguments[0].Value)) is { } radicand)
            {
                return Math.Sqrt(radicand);
            }

            return null;
        }

        private static IOperation Unwrap(IOperation value) => value is IConversionOperation conversion ? Unwrap(conversion.Operand) : value;
    }
}
