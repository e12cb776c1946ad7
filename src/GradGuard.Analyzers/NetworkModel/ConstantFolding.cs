using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace GradGuard.Analyzers.NetworkModel
{
    /// <summary>
    /// Arithmetic, comparisons, logic, string tests and <c>System.Math</c> on values the source makes constant, with
    /// C#'s rules where they matter here (integer division, truncating casts). Anything else is unknown (null).
    /// </summary>
    internal static class ConstantFolding
    {
        /// <summary>An operation's constant, read once: each read of <c>IOperation.ConstantValue</c> boxes it anew.</summary>
        public static ConstantValue? From(Optional<object?> constant) => constant.HasValue ? From(constant.Value) : null;

        public static ConstantValue? From(object? value) => value switch
        {
            null => ConstantValue.Null,
            int number => ConstantValue.Of(number),
            long number => ConstantValue.Of(number),
            bool flag => ConstantValue.Of(flag),
            string text => ConstantValue.Of(text),
            char character => ConstantValue.Of(character.ToString()),
            double number => ConstantValue.Of(number),
            float number => ConstantValue.Of((double)number),
            decimal number => ConstantValue.Of((double)number),
            ulong number => number <= long.MaxValue ? ConstantValue.Of((long)number) : null,
            IConvertible convertible when value.GetType().IsPrimitive => ConstantValue.Of(convertible.ToInt64(System.Globalization.CultureInfo.InvariantCulture)),
            _ => null,
        };

        public static ConstantValue? Binary(BinaryOperatorKind kind, ConstantValue left, ConstantValue right)
        {
            if (left.Value is bool a && right.Value is bool b)
            {
                return kind switch
                {
                    BinaryOperatorKind.And or BinaryOperatorKind.ConditionalAnd => ConstantValue.Of(a && b),
                    BinaryOperatorKind.Or or BinaryOperatorKind.ConditionalOr => ConstantValue.Of(a || b),
                    BinaryOperatorKind.ExclusiveOr or BinaryOperatorKind.NotEquals => ConstantValue.Of(a != b),
                    BinaryOperatorKind.Equals => ConstantValue.Of(a == b),
                    _ => null,
                };
            }

            if (kind is BinaryOperatorKind.Equals or BinaryOperatorKind.NotEquals
                && (left.Value is string || right.Value is string || left.IsNull || right.IsNull))
            {
                var equal = left.IsNull || right.IsNull ? left.IsNull && right.IsNull : Equals(left.Value, right.Value);
                return ConstantValue.Of(kind == BinaryOperatorKind.Equals == equal);
            }

            if (kind == BinaryOperatorKind.Add && (left.Value is string || right.Value is string))
            {
                return ConstantValue.Of(System.Convert.ToString(left.Value, System.Globalization.CultureInfo.InvariantCulture) + System.Convert.ToString(right.Value, System.Globalization.CultureInfo.InvariantCulture));
            }

            if (left.Value is long x && right.Value is long y)
            {
                return kind switch
                {
                    BinaryOperatorKind.Add => ConstantValue.Of(x + y),
                    BinaryOperatorKind.Subtract => ConstantValue.Of(x - y),
                    BinaryOperatorKind.Multiply => ConstantValue.Of(x * y),
                    BinaryOperatorKind.Divide when y != 0 && y != -1 => ConstantValue.Of(x / y),
                    BinaryOperatorKind.Divide when y == -1 => ConstantValue.Of(unchecked(-x)),
                    BinaryOperatorKind.Remainder when y != 0 && y != -1 => ConstantValue.Of(x % y),
                    BinaryOperatorKind.Remainder when y == -1 => ConstantValue.Of(0L),
                    BinaryOperatorKind.LeftShift => ConstantValue.Of(x << (int)(y & 63)),
                    BinaryOperatorKind.RightShift => ConstantValue.Of(x >> (int)(y & 63)),
                    _ => Compare(kind, x.CompareTo(y)),
                };
            }

            if (left.AsDouble is { } p && right.AsDouble is { } q)
            {
                return kind switch
                {
                    BinaryOperatorKind.Add => ConstantValue.Of(p + q),
                    BinaryOperatorKind.Subtract => ConstantValue.Of(p - q),
                    BinaryOperatorKind.Multiply => ConstantValue.Of(p * q),
                    BinaryOperatorKind.Divide => ConstantValue.Of(p / q),
                    _ => Compare(kind, p.CompareTo(q)),
                };
            }

            return null;
        }

        public static ConstantValue? Unary(UnaryOperatorKind kind, ConstantValue operand) => (kind, operand.Value) switch
        {
            (UnaryOperatorKind.Not, bool flag) => ConstantValue.Of(!flag),
            (UnaryOperatorKind.Minus, long number) => ConstantValue.Of(unchecked(-number)),
            (UnaryOperatorKind.Minus, double number) => ConstantValue.Of(-number),
            (UnaryOperatorKind.Plus, _) => operand,
            _ => null,
        };

        /// <summary>A conversion to a numeric type truncates as a cast does; other conversions keep the value.</summary>
        public static ConstantValue Convert(ConstantValue value, ITypeSymbol? target)
        {
            switch (target?.SpecialType)
            {
                case SpecialType.System_Double or SpecialType.System_Single or SpecialType.System_Decimal when value.AsDouble is { } real:
                    return ConstantValue.Of(real);
                case SpecialType.System_Int64 or SpecialType.System_Int32 or SpecialType.System_Int16 or SpecialType.System_Byte
                    or SpecialType.System_UInt32 or SpecialType.System_UInt16 or SpecialType.System_SByte when value.Value is double real
                    && Math.Abs(real) < long.MaxValue:
                    return ConstantValue.Of((long)real);
                default:
                    return value;
            }
        }

        /// <summary><c>Math.Max</c>, <c>Math.Sqrt</c>... on constants.</summary>
        public static ConstantValue? MathCall(string name, IReadOnlyList<ConstantValue> arguments)
        {
            if (arguments.Count == 2 && arguments.All(a => a.Value is long) && name is "Max" or "Min")
            {
                var (a, b) = ((long)arguments[0].Value!, (long)arguments[1].Value!);
                return ConstantValue.Of(name == "Max" ? Math.Max(a, b) : Math.Min(a, b));
            }

            var numbers = arguments.Select(a => a.AsDouble).ToList();
            if (numbers.Any(n => n is null))
            {
                return null;
            }

            var x = numbers.Count > 0 ? numbers[0]!.Value : 0;
            var y = numbers.Count > 1 ? numbers[1]!.Value : 0;
            double? result = (name, numbers.Count) switch
            {
                ("Sqrt", 1) => Math.Sqrt(x),
                ("Abs", 1) => Math.Abs(x),
                ("Floor", 1) => Math.Floor(x),
                ("Ceiling", 1) => Math.Ceiling(x),
                ("Round", 1) => Math.Round(x),
                ("Log", 1) => Math.Log(x),
                ("Exp", 1) => Math.Exp(x),
                ("Pow", 2) => Math.Pow(x, y),
                ("Max", 2) => Math.Max(x, y),
                ("Min", 2) => Math.Min(x, y),
                _ => null,
            };
            return result is { } value ? ConstantValue.Of(value) : null;
        }

        /// <summary>The string methods configuration code branches on: case changes, equality, prefixes and suffixes.</summary>
        public static ConstantValue? StringCall(string name, string text, IReadOnlyList<ConstantValue?> arguments)
        {
            var argument = arguments.Count > 0 ? arguments[0]?.Value as string : null;
            return name switch
            {
                "ToLower" or "ToLowerInvariant" => ConstantValue.Of(text.ToLowerInvariant()),
                "ToUpper" or "ToUpperInvariant" => ConstantValue.Of(text.ToUpperInvariant()),
                "Trim" when arguments.Count == 0 => ConstantValue.Of(text.Trim()),
                "Equals" when argument is not null => ConstantValue.Of(text == argument),
                "StartsWith" when argument is not null => ConstantValue.Of(text.StartsWith(argument, StringComparison.Ordinal)),
                "EndsWith" when argument is not null => ConstantValue.Of(text.EndsWith(argument, StringComparison.Ordinal)),
                "Contains" when argument is not null => ConstantValue.Of(text.IndexOf(argument, StringComparison.Ordinal) >= 0),
                _ => null,
            };
        }

        private static ConstantValue? Compare(BinaryOperatorKind kind, int order) => kind switch
        {
            BinaryOperatorKind.Equals => ConstantValue.Of(order == 0),
            BinaryOperatorKind.NotEquals => ConstantValue.Of(order != 0),
            BinaryOperatorKind.LessThan => ConstantValue.Of(order < 0),
            BinaryOperatorKind.LessThanOrEqual => ConstantValue.Of(order <= 0),
            BinaryOperatorKind.GreaterThan => ConstantValue.Of(order > 0),
            BinaryOperatorKind.GreaterThanOrEqual => ConstantValue.Of(order >= 0),
            _ => null,
        };
    }
}
