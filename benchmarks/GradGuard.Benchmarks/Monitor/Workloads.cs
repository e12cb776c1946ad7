using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GradGuard.Benchmarks.Monitor;

/// <summary>The CPU training workloads whose step time the monitor is measured against.</summary>
public enum Workload
{
    /// <summary>16 hidden Linear(1024, 1024) + ReLU layers, batch 256: many parameters, cheap activations.</summary>
    DeepMlp,

    /// <summary>Three 3×3 convolutions with ReLU and pooling, then two Linear layers, on CIFAR-sized batches of 64.</summary>
    SmallConvNet,

    /// <summary>8 × Linear(64, 64) + ReLU, batch 32: steps so short that the monitor's fixed cost dominates, for the memory soak.</summary>
    SmallMlp,

    /// <summary>Linear 4→16, ReLU, Linear 16→16, ReLU, Linear 16→3, batch 16: a step of a tenth of a millisecond.</summary>
    TinyMlp,

    /// <summary>64 × (Linear 64→64 + ReLU) and a head, batch 64: 130 small parameter tensors, 64 rectifier sites.</summary>
    DeepNarrow64,

    /// <summary>256 × (Linear 32→32 + ReLU) and a head, batch 32: 514 tiny parameter tensors, 256 rectifier sites.</summary>
    DeepNarrow256,

    /// <summary>4 × (Linear 2048→2048 + ReLU) and a head, batch 256: few tensors, 64 MB of gradients.</summary>
    Wide,

    /// <summary>A CIFAR ResNet with 12 basic blocks (16, 32, 64 channels), batch norm, batch 32: 83 tensors, 25 ReLU modules.</summary>
    ResNet,

    /// <summary>A 2-layer LSTM with 256 hidden units over sequences of 64, and a Linear head on the last step, batch 32.</summary>
    Lstm,
}

/// <summary>A model with one fixed random batch: the data pipeline is not what is being measured.</summary>
internal sealed record WorkloadInstance(nn.Module<Tensor, Tensor> Model, Tensor Input, Tensor Labels) : IDisposable
{
    private const int Classes = 10;

    public static WorkloadInstance Create(Workload workload)
    {
        // The same seed for every instance: each variant trains an identical network on identical data.
        torch.manual_seed(4);
        return workload switch
        {
            Workload.DeepMlp => Mlp(inputs: 1024, width: 1024, depth: 16, classes: Classes, batch: 256),
            Workload.SmallMlp => Mlp(inputs: 64, width: 64, depth: 8, classes: Classes, batch: 32),
            Workload.SmallConvNet => ConvNet(batch: 64),
            Workload.TinyMlp => Mlp(inputs: 4, width: 16, depth: 2, classes: 3, batch: 16),
            Workload.DeepNarrow64 => Mlp(inputs: 64, width: 64, depth: 64, classes: Classes, batch: 64),
            Workload.DeepNarrow256 => Mlp(inputs: 32, width: 32, depth: 256, classes: Classes, batch: 32),
            Workload.Wide => Mlp(inputs: 2048, width: 2048, depth: 4, classes: Classes, batch: 256),
            Workload.ResNet => new WorkloadInstance(new CifarResNet(blocksPerStage: 4), torch.randn(32, 3, 32, 32), torch.randint(Classes, 32)),
            Workload.Lstm => new WorkloadInstance(new SequenceClassifier(features: 32, hidden: 256, layers: 2), torch.randn(32, 64, 32), torch.randint(Classes, 32)),
            _ => throw new ArgumentOutOfRangeException(nameof(workload), workload, null),
        };
    }

    public void Dispose()
    {
        Model.Dispose();
        Input.Dispose();
        Labels.Dispose();
    }

    private static WorkloadInstance Mlp(int inputs, int width, int depth, int classes, int batch)
    {
        var layers = new List<nn.Module<Tensor, Tensor>>();
        for (int layer = 0; layer < depth; layer++)
        {
            var linear = nn.Linear(layer == 0 ? inputs : width, width);
            // He initialisation, as a deep ReLU stack is trained in practice; PyTorch's default would let the
            // signal fade layer after layer into denormal floats, which the CPU computes many times slower.
            nn.init.kaiming_normal_(linear.weight!, nonlinearity: nn.init.NonlinearityType.ReLU);
            layers.Add(linear);
            layers.Add(nn.ReLU());
        }

        layers.Add(nn.Linear(width, classes));
        return new WorkloadInstance(nn.Sequential(layers), torch.randn(batch, inputs), torch.randint(classes, batch));
    }

    private static WorkloadInstance ConvNet(int batch)
    {
        var model = nn.Sequential(
            nn.Conv2d(3, 32, 3, padding: 1), nn.ReLU(),
            nn.Conv2d(32, 64, 3, padding: 1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(64, 64, 3, padding: 1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(64 * 8 * 8, 128), nn.ReLU(),
            nn.Linear(128, Classes));
        return new WorkloadInstance(model, torch.randn(batch, 3, 32, 32), torch.randint(Classes, batch));
    }

    /// <summary>The CIFAR ResNet of He et al. (2016, section 4.2) with <c>blocksPerStage</c> basic blocks per stage.</summary>
    private sealed class CifarResNet : nn.Module<Tensor, Tensor>
    {
        private readonly Conv2d stem;
        private readonly BatchNorm2d stemNorm;
        private readonly ReLU stemRelu = nn.ReLU();
        private readonly Sequential blocks;
        private readonly AdaptiveAvgPool2d pool = nn.AdaptiveAvgPool2d(1);
        private readonly Linear head;

        public CifarResNet(int blocksPerStage) : base(nameof(CifarResNet))
        {
            stem = nn.Conv2d(3, 16, 3, padding: 1, bias: false);
            stemNorm = nn.BatchNorm2d(16);
            var stages = new List<nn.Module<Tensor, Tensor>>();
            int channels = 16;
            foreach (int width in new[] { 16, 32, 64 })
            {
                for (int block = 0; block < blocksPerStage; block++)
                {
                    stages.Add(new BasicBlock(channels, width, stride: block == 0 && width != channels ? 2 : 1));
                    channels = width;
                }
            }

            blocks = nn.Sequential(stages);
            head = nn.Linear(channels, Classes);
            RegisterComponents();
        }

        public override Tensor forward(Tensor input)
        {
            using var stemmed = stemRelu.call(stemNorm.call(stem.call(input)));
            using var features = blocks.call(stemmed);
            using var pooled = pool.call(features);
            return head.call(pooled.flatten(1));
        }
    }

    /// <summary>Two 3×3 convolutions with batch norm and a ReLU module after each, around a shortcut.</summary>
    private sealed class BasicBlock : nn.Module<Tensor, Tensor>
    {
        private readonly Conv2d conv1;
        private readonly BatchNorm2d norm1;
        private readonly ReLU relu1 = nn.ReLU();
        private readonly Conv2d conv2;
        private readonly BatchNorm2d norm2;
        private readonly ReLU relu2 = nn.ReLU();
        private readonly Sequential? downsample;

        public BasicBlock(int inputs, int outputs, int stride) : base(nameof(BasicBlock))
        {
            conv1 = nn.Conv2d(inputs, outputs, 3, stride: stride, padding: 1, bias: false);
            norm1 = nn.BatchNorm2d(outputs);
            conv2 = nn.Conv2d(outputs, outputs, 3, padding: 1, bias: false);
            norm2 = nn.BatchNorm2d(outputs);
            if (stride != 1 || inputs != outputs)
            {
                downsample = nn.Sequential(nn.Conv2d(inputs, outputs, 1, stride: stride, bias: false), nn.BatchNorm2d(outputs));
            }

            foreach (var conv in new[] { conv1, conv2 })
            {
                nn.init.kaiming_normal_(conv.weight!, mode: nn.init.FanInOut.FanOut, nonlinearity: nn.init.NonlinearityType.ReLU);
            }

            RegisterComponents();
        }

        public override Tensor forward(Tensor input)
        {
            using var hidden = relu1.call(norm1.call(conv1.call(input)));
            using var residual = norm2.call(conv2.call(hidden));
            using var shortcut = downsample is null ? input.alias() : downsample.call(input);
            return relu2.call(residual + shortcut);
        }
    }

    /// <summary>An LSTM over the sequence and a Linear classifier on its last output.</summary>
    private sealed class SequenceClassifier : nn.Module<Tensor, Tensor>
    {
        private readonly LSTM lstm;
        private readonly Linear head;

        public SequenceClassifier(int features, int hidden, int layers) : base(nameof(SequenceClassifier))
        {
            lstm = nn.LSTM(features, hidden, layers, batchFirst: true);
            head = nn.Linear(hidden, Classes);
            RegisterComponents();
        }

        public override Tensor forward(Tensor input)
        {
            var (output, hidden, cell) = lstm.call(input);
            using (output)
            using (hidden)
            using (cell)
            using (var last = output.select(1, -1))
            {
                return head.call(last);
            }
        }
    }
}
