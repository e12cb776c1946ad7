using GradGuard.Analyzers.CodeFixes;
using Microsoft.CodeAnalysis.Testing;

namespace GradGuard.Analyzers.Tests;

/// <summary>GG0004: recurrent training steps without gradient clipping between backward() and step().</summary>
public class UnclippedRecurrentTrainingTests
{
    /// <summary>An LSTM sequence classifier, as TorchSharp text models write it.</summary>
    private const string LstmClassifier = """
        class SequenceClassifier : Module<Tensor, Tensor>
        {
            private readonly Embedding embedding = nn.Embedding(1000, 32);
            private readonly LSTM lstm = nn.LSTM(32, 64, batchFirst: true);
            private readonly Linear head = nn.Linear(64, 2);

            public SequenceClassifier() : base(nameof(SequenceClassifier)) => RegisterComponents();

            public override Tensor forward(Tensor tokens)
            {
                var (output, _, _) = lstm.call(embedding.call(tokens));
                return head.call(output[.., -1, ..]);
            }
        }

        """;

    /// <summary>A GRU encoder and a feed-forward decoder, trained together.</summary>
    private const string EncoderAndDecoder = """
        class Encoder : Module<Tensor, Tensor>
        {
            private readonly GRU gru = nn.GRU(8, 8);
            public Encoder() : base(nameof(Encoder)) => RegisterComponents();
            public override Tensor forward(Tensor x) => gru.call(x).Item1;
        }

        class Decoder : Module<Tensor, Tensor>
        {
            private readonly Linear output = nn.Linear(8, 8);
            public Decoder() : base(nameof(Decoder)) => RegisterComponents();
            public override Tensor forward(Tensor x) => output.call(x);
        }

        """;

    [Fact]
    public Task An_unclipped_LSTM_training_loop_is_reported_on_step() => Verify.AnalyzerTest<UnclippedRecurrentTrainingAnalyzer>(LstmClassifier + """
        static class Training
        {
            static void Train(Tensor tokens, Tensor labels)
            {
                var model = new SequenceClassifier();
                var optimizer = torch.optim.Adam(model.parameters(), 1e-3);
                for (int epoch = 0; epoch < 10; epoch++)
                {
                    optimizer.zero_grad();
                    var loss = nn.functional.cross_entropy(model.call(tokens), labels);
                    loss.backward();
                    {|#0:optimizer.step()|};
                }
            }
        }
        """)
        .Expecting(Unclipped(0, "optimizer.step()", "'model'", "its LSTM 'lstm'"))
        .RunAsync();

    [Fact]
    public Task A_GRU_trained_directly_a_cell_in_a_time_loop_and_a_hand_written_RNN_are_recurrent() => Verify.AnalyzerTest<UnclippedRecurrentTrainingAnalyzer>("""
        class Decoder : Module<Tensor, Tensor>
        {
            private readonly LSTMCell cell = nn.LSTMCell(16, 16);
            public Decoder() : base(nameof(Decoder)) => RegisterComponents();

            public override Tensor forward(Tensor sequence)
            {
                (Tensor, Tensor)? state = null;
                var outputs = new List<Tensor>();
                for (long t = 0; t < sequence.shape[0]; t++)
                {
                    var (h, c) = cell.call(sequence[t], state);
                    state = (h, c);
                    outputs.Add(h);
                }

                return torch.stack(outputs);
            }
        }

        // A character RNN built from Linear layers: it is recurrent because the training code feeds its hidden state back.
        class CharRnn : Module
        {
            private readonly Linear i2h = nn.Linear(24, 16);
            private readonly Linear i2o = nn.Linear(24, 4);
            public CharRnn() : base(nameof(CharRnn)) => RegisterComponents();

            public (Tensor Output, Tensor Hidden) forward(Tensor input, Tensor hidden)
            {
                var combined = torch.cat(new[] { input, hidden }, 1);
                return (i2o.call(combined), i2h.call(combined));
            }
        }

        class CharRnnTrainer
        {
            private readonly CharRnn rnn;
            private readonly torch.optim.Optimizer optimizer;

            public CharRnnTrainer(CharRnn rnn)
            {
                this.rnn = rnn;
                optimizer = torch.optim.SGD(this.rnn.parameters(), 0.005);
            }

            public float Train(Tensor line, Tensor category)
            {
                var hidden = torch.zeros(1, 16);
                Tensor output = torch.zeros(1, 4);
                optimizer.zero_grad();
                for (long i = 0; i < line.shape[0]; i++)
                {
                    var (next, nextHidden) = rnn.forward(line[i], hidden);
                    output = next;
                    hidden = nextHidden;
                }

                var loss = nn.functional.cross_entropy(output, category);
                loss.backward();
                {|#2:optimizer.step()|};
                return loss.item<float>();
            }
        }

        static class Training
        {
            static void TrainGru(Tensor x, Tensor y)
            {
                var gru = nn.GRU(8, 8);
                var optimizer = torch.optim.SGD(gru.parameters(), 0.1);
                var (output, _) = gru.call(x);
                nn.functional.mse_loss(output, y).backward();
                {|#0:optimizer.step()|};
            }

            static void TrainDecoder(Decoder decoder, Tensor x, Tensor y)
            {
                var optimizer = torch.optim.Adam(decoder.parameters());
                nn.functional.mse_loss(decoder.call(x), y).backward();
                {|#1:optimizer.step()|};
            }
        }
        """)
        .Expecting(
            Unclipped(0, "optimizer.step()", "'gru'", "the GRU itself"),
            Unclipped(1, "optimizer.step()", "'decoder'", "its LSTMCell 'cell' applied in a loop over time steps"),
            Unclipped(2, "optimizer.step()", "'this.rnn'", "a loop in this method that feeds its output back into it"))
        .RunAsync();

    [Fact]
    public Task Clipping_on_only_some_paths_or_before_backward_is_reported() => Verify.AnalyzerTest<UnclippedRecurrentTrainingAnalyzer>(LstmClassifier + """
        static class Training
        {
            static void Train(SequenceClassifier model, Tensor tokens, Tensor labels, double clip)
            {
                var optimizer = torch.optim.Adam(model.parameters());
                for (int step = 0; step < 100; step++)
                {
                    var loss = nn.functional.cross_entropy(model.call(tokens), labels);
                    loss.backward();
                    if (clip > 0)
                    {
                        torch.nn.utils.clip_grad_norm_(model.parameters(), clip);
                    }

                    {|#0:optimizer.step()|};
                }

                for (int step = 0; step < 100; step++)
                {
                    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0);
                    nn.functional.cross_entropy(model.call(tokens), labels).backward();
                    {|#1:optimizer.step()|};
                }
            }
        }
        """)
        .Expecting(
            Unclipped(0, "optimizer.step()", "'model'", "its LSTM 'lstm'"),
            Unclipped(1, "optimizer.step()", "'model'", "its LSTM 'lstm'"))
        .RunAsync();

    [Fact]
    public Task The_loss_and_the_model_are_followed_through_later_assignments_parentheses_and_deconstructions() => Verify.AnalyzerTest<UnclippedRecurrentTrainingAnalyzer>(LstmClassifier + """
        static class Training
        {
            static void AssignedLater(Tensor tokens, Tensor labels, torch.optim.Optimizer optimizer)
            {
                Module<Tensor, Tensor> model;
                model = new SequenceClassifier();
                Tensor loss;
                // loss = nothing: a comment, "loss" in a string and loss.ToString() are not assignments
                (loss) = nn.functional.cross_entropy(model.call(tokens), labels);
                Console.WriteLine("loss = " + loss.ToString());
                loss.backward();
                {|#0:optimizer.step()|};
            }

            static void Deconstructed(Tensor tokens, Tensor labels, torch.optim.Optimizer optimizer)
            {
                var classifier = new SequenceClassifier();
                var (loss, count) = (nn.functional.cross_entropy(classifier.call(tokens), labels), 1);
                loss.backward();
                {|#1:optimizer.step()|};
            }
        }
        """)
        .Expecting(
            Unclipped(0, "optimizer.step()", "'model'", "its LSTM 'lstm'"),
            Unclipped(1, "optimizer.step()", "'classifier'", "its LSTM 'lstm'"))
        .RunAsync();

    [Fact]
    public Task Clipped_steps_non_recurrent_models_schedulers_stacks_and_single_cell_calls_are_not_reported() => Verify.AnalyzerTest<UnclippedRecurrentTrainingAnalyzer>(LstmClassifier + """
        class Tower : Module<Tensor, Tensor>
        {
            private readonly ModuleList<Linear> blocks = new();
            private readonly GRUCell cell = nn.GRUCell(8, 8);

            public Tower() : base(nameof(Tower))
            {
                for (int i = 0; i < 4; i++)
                {
                    blocks.Add(nn.Linear(8, 8));
                }

                RegisterComponents();
            }

            public override Tensor forward(Tensor x)
            {
                foreach (var block in blocks)
                {
                    x = block.call(x).relu();
                }

                return cell.call(x, null);
            }
        }

        static class Training
        {
            static void ClipHelper(Module model) => torch.nn.utils.clip_grad_value_(model.parameters(), 0.5);

            static void Train(SequenceClassifier model, Tower tower, Tensor tokens, Tensor labels, int accumulate)
            {
                var optimizer = torch.optim.Adam(model.parameters());
                var scheduler = torch.optim.lr_scheduler.StepLR(optimizer, 10);
                for (int step = 0; step < 100; step++)
                {
                    optimizer.zero_grad();
                    nn.functional.cross_entropy(model.call(tokens), labels).backward();
                    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0);
                    optimizer.step();
                    scheduler.step();
                }

                for (int step = 0; step < 100; step++)
                {
                    nn.functional.cross_entropy(model.call(tokens), labels).backward();
                    if ((step + 1) % accumulate == 0)
                    {
                        ClipHelper(model);
                        optimizer.step();
                        optimizer.zero_grad();
                    }
                }

                var towerOptimizer = torch.optim.SGD(tower.parameters(), 0.1);
                nn.functional.mse_loss(tower.call(tokens), labels).backward();
                towerOptimizer.step();
            }
        }
        """).RunAsync();

    [Fact]
    public Task The_monitor_s_ClipGradients_counts_as_clipping() => Verify.AnalyzerTest<UnclippedRecurrentTrainingAnalyzer>(LstmClassifier + """
        static class Training
        {
            static void Train(SequenceClassifier model, Tensor tokens, Tensor labels)
            {
                using var monitor = GradGuard.TorchSharp.GradientMonitor.Attach(model);
                var optimizer = torch.optim.Adam(model.parameters());
                nn.functional.cross_entropy(model.call(tokens), labels).backward();
                monitor.ClipGradients(1.0);
                optimizer.step();
            }
        }
        """).WithMonitorReference().RunAsync();

    [Fact]
    public Task An_LBFGS_closure_without_clipping_is_reported_and_one_that_clips_after_backward_is_not() => Verify.AnalyzerTest<UnclippedRecurrentTrainingAnalyzer>(LstmClassifier + """
        static class Training
        {
            static void Train(SequenceClassifier model, Tensor tokens, Tensor labels)
            {
                var optimizer = torch.optim.LBFGS(model.parameters());
                Func<Tensor> closure = () =>
                {
                    optimizer.zero_grad();
                    var loss = nn.functional.cross_entropy(model.call(tokens), labels);
                    {|#1:loss.backward()|};
                    return loss;
                };
                {|#0:optimizer.step(closure)|};

                optimizer.step(() =>
                {
                    optimizer.zero_grad();
                    var loss = nn.functional.cross_entropy(model.call(tokens), labels);
                    loss.backward();
                    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0);
                    return loss;
                });
            }
        }
        """)
        .Expecting(Unclipped(0, "optimizer.step()", "'model'", "its LSTM 'lstm'").WithLocation(1))
        .RunAsync();

    [Fact]
    public Task The_fix_clips_each_trained_model_before_step_with_the_configured_norm() => Verify.Fix<UnclippedRecurrentTrainingAnalyzer, AddGradientClippingCodeFix>(
        EncoderAndDecoder + """
        static class Training
        {
            static void Train(Encoder encoder, Decoder decoder, Tensor x, Tensor y)
            {
                var optimizer = torch.optim.Adam(System.Linq.Enumerable.Concat(encoder.parameters(), decoder.parameters()));
                for (int step = 0; step < 10; step++)
                {
                    nn.functional.mse_loss(decoder.call(encoder.call(x)), y).backward();
                    if (step > 0)
                        {|GG0004:optimizer.step()|};
                }
            }
        }
        """,
        EncoderAndDecoder + """
        static class Training
        {
            static void Train(Encoder encoder, Decoder decoder, Tensor x, Tensor y)
            {
                var optimizer = torch.optim.Adam(System.Linq.Enumerable.Concat(encoder.parameters(), decoder.parameters()));
                for (int step = 0; step < 10; step++)
                {
                    nn.functional.mse_loss(decoder.call(encoder.call(x)), y).backward();
                    if (step > 0)
                    {
                        torch.nn.utils.clip_grad_norm_(encoder.parameters(), 0.5);
                        torch.nn.utils.clip_grad_norm_(decoder.parameters(), 0.5);
                        optimizer.step();
                    }
                }
            }
        }
        """,
        "gradguard.GG0004.max_norm = 0.5");

    [Fact]
    public Task The_fix_clips_inside_an_LBFGS_closure_right_after_backward() => Verify.Fix<UnclippedRecurrentTrainingAnalyzer, AddGradientClippingCodeFix>(
        LstmClassifier + """
        static class Training
        {
            static void Train(SequenceClassifier model, Tensor tokens, Tensor labels)
            {
                var optimizer = torch.optim.LBFGS(model.parameters());
                {|GG0004:optimizer.step(() =>
                {
                    optimizer.zero_grad();
                    var loss = nn.functional.cross_entropy(model.call(tokens), labels);
                    loss.backward();
                    return loss;
                })|};
            }
        }
        """,
        LstmClassifier + """
        static class Training
        {
            static void Train(SequenceClassifier model, Tensor tokens, Tensor labels)
            {
                var optimizer = torch.optim.LBFGS(model.parameters());
                optimizer.step(() =>
                {
                    optimizer.zero_grad();
                    var loss = nn.functional.cross_entropy(model.call(tokens), labels);
                    loss.backward();
                    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0);
                    return loss;
                });
            }
        }
        """);

    private static DiagnosticResult Unclipped(int location, string step, string model, string reason) =>
        new DiagnosticResult(RuleIds.UnclippedRecurrentTrainingRule).WithLocation(location).WithArguments(step, model, reason);
}
