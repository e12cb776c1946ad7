using System.Collections.Generic;
using Microsoft.CodeAnalysis;

namespace GradGuard.Analyzers.NetworkModel
{
    /// <summary>A weight layer's fan-in and fan-out from the sizes its factory was given (<c>nn.Conv2d(64, 128, 3, groups: 2)</c>).</summary>
    internal static class LayerShapes
    {
        public static WeightShape? Of(IMethodSymbol factory, Arguments arguments)
        {
            // TorchSharp's factories name a size one way or the other (inputSize, in_features); every weight layer asks.
            Value? Argument(string name, string? alias)
            {
                foreach (var parameter in factory.Parameters)
                {
                    if (parameter.Name == name || parameter.Name == alias)
                    {
                        return arguments[parameter];
                    }
                }

                return null;
            }

            long? Size(string name, string? alias = null) => (Argument(name, alias) as ConstantValue)?.AsLong;

            var typeName = factory.ReturnType.Name;
            if (typeName == "Linear")
            {
                return new WeightShape(Size("inputSize", "in_features"), Size("outputSize", "out_features"));
            }

            if (typeName == "Bilinear")
            {
                var (first, second, output) = (Size("in1_features"), Size("in2_features"), Size("out_features"));
                return new WeightShape(first * second, output * second);
            }

            if (!typeName.StartsWith("Conv", System.StringComparison.Ordinal) || !char.IsDigit(typeName[typeName.Length - 2]))
            {
                return null;
            }

            var dimensions = typeName[typeName.Length - 2] - '0';
            var kernel = Kernel(Argument("kernel_size", "kernelSize"), dimensions);
            // An omitted groups argument arrives as its default, 1; one the source does not fix leaves the fans unknown.
            var (inputs, outputs, groups) = (Size("in_channels", "inputChannel"), Size("out_channels", "outputChannel"), Size("groups"));
            if (groups <= 0)
            {
                return null;
            }

            return typeName.StartsWith("ConvTranspose", System.StringComparison.Ordinal)
                ? new WeightShape(outputs / groups * kernel, inputs * kernel)
                : new WeightShape(inputs / groups * kernel, outputs * kernel);
        }

        /// <summary>The number of dimensions of a weight layer type's weight: Linear 2, Conv2d 4...</summary>
        public static long? WeightDimensions(string typeName) => typeName switch
        {
            "Linear" => 2,
            "Bilinear" or "Conv1d" or "ConvTranspose1d" => 3,
            "Conv2d" or "ConvTranspose2d" => 4,
            "Conv3d" or "ConvTranspose3d" => 5,
            _ => null,
        };

        /// <summary>The kernel's element count: a side length to the power of the dimensions, or the product of a tuple's or array's sides.</summary>
        private static long? Kernel(Value? size, int dimensions)
        {
            IEnumerable<Value?>? sides = size switch
            {
                TupleValue tuple => tuple.Elements,
                SequenceValue list => list.Elements,
                _ => null,
            };
            if (sides is null)
            {
                return (size as ConstantValue)?.AsLong is { } side ? (long)System.Math.Pow(side, dimensions) : null;
            }

            long product = 1;
            var any = false;
            foreach (var side in sides)
            {
                if ((side as ConstantValue)?.AsLong is not { } length)
                {
                    return null;
                }

                product *= length;
                any = true;
            }

            return any ? product : null;
        }
    }
}
