// expect: none
// Overrides that extend forward() through base.forward(...), and forward methods that are not a module's: a numerical
// integrator's forward step and a hand-written autodiff node.
using System;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Overrides
{
    public class Encoder : Module<Tensor, Tensor>
    {
        private readonly Linear projection = Linear(32, 32);

        public Encoder() : base(nameof(Encoder)) => RegisterComponents();

        public override Tensor forward(Tensor x) => functional.gelu(projection.call(x));
    }

    public sealed class NormalizedEncoder : Encoder
    {
        private readonly LayerNorm norm = LayerNorm(32);

        public NormalizedEncoder() => RegisterComponents();

        public override Tensor forward(Tensor x) => norm.call(base.forward(x));
    }

    public sealed class EulerIntegrator
    {
        private readonly double stepSize;

        public EulerIntegrator(double stepSize) => this.stepSize = stepSize;

        public double[] forward(double[] state, Func<double[], double[]> derivative)
        {
            var slope = derivative(state);
            var next = new double[state.Length];
            for (int i = 0; i < state.Length; i++)
            {
                next[i] = state[i] + stepSize * slope[i];
            }

            return next;
        }
    }

    public sealed class MultiplyNode
    {
        public double forward(double a, double b) => a * b;

        public (double, double) backward(double a, double b, double upstream) => (b * upstream, a * upstream);
    }

    public static class Demo
    {
        public static void Run()
        {
            var integrator = new EulerIntegrator(0.01);
            var state = new[] { 1.0, 0.0 };
            for (int i = 0; i < 100; i++)
            {
                state = integrator.forward(state, s => new[] { s[1], -s[0] });
            }

            var node = new MultiplyNode();
            var product = node.forward(3, 4);
            var encoded = new NormalizedEncoder().call(randn(2, 32));
            Console.WriteLine($"{state[0]} {product} {encoded.shape[0]}");
        }
    }
}
