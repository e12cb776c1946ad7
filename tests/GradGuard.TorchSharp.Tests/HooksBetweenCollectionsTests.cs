using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GradGuard.TorchSharp.Tests;

/// <summary>
/// The monitor's hooks are on the modules only for the passes before a collecting call, and taking them off in between
/// changes nothing a collection reports: a monitor collecting every third step sees at its steps exactly what one hooked
/// at every pass sees, on models declared out of forward order and with a module called more than once per pass.
/// </summary>
public class HooksBetweenCollectionsTests
{
    [Fact]
    public void The_hooks_are_on_the_modules_only_before_a_call_that_collects_and_a_users_own_hooks_stay()
    {
        using var model = nn.Sequential(("fc", nn.Linear(2, 2)), ("relu", nn.ReLU()), ("head", nn.Linear(2, 2)));
        var relu = (ReLU)model.children().ElementAt(1);
        int userHookCalls = 0;
        relu.register_forward_hook((_, _, _) =>
        {
            userHookCalls++;
            return null!;
        });
        var modules = model.modules().ToList();
        var monitor = GradientMonitor.Attach(model, new GradientMonitorOptions { CollectEvery = 3 });
        using var input = torch.randn(4, 2);

        var hooked = new List<bool>();
        var collected = new List<bool>();
        for (int call = 1; call <= 7; call++)
        {
            using var scope = torch.NewDisposeScope();
            model.zero_grad();
            model.call(input).sum().backward();
            collected.Add(monitor.Collect() is not null);
            // The monitor's hooks, less the user's one on the ReLU: the same on every module, a pair or none.
            var monitorHooks = modules.Select(module => TestModels.HookCounts(module) is var (before, after) ? (before, after - (module == relu ? 1 : 0)) : default).Distinct();
            hooked.Add(Assert.Single(monitorHooks) switch
            {
                (1, 1) => true,
                (0, 0) => false,
                var other => throw new InvalidOperationException($"the monitor's hooks on a module: {other}"),
            });
        }

        Assert.Equal(new[] { true, false, false, true, false, false, true }, collected);
        // On after the call before a collecting one (calls 3 and 6), off after every other.
        Assert.Equal(new[] { false, false, true, false, false, true, false }, hooked);
        Assert.Equal(7, userHookCalls);

        monitor.Dispose();
        Assert.All(modules, module => Assert.Equal((0, module == relu ? 1 : 0), TestModels.HookCounts(module)));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Hooks_fire_only_while_on_whether_kept_in_the_modules_dictionaries_or_registered_through_the_public_api(bool inTables)
    {
        using var linear = nn.Linear(2, 2);
        using var input = torch.ones(1, 2);
        var calls = new List<string>();
        Func<nn.Module<Tensor, Tensor>, Tensor, Tensor> pre = (_, x) =>
        {
            calls.Add("pre");
            return x;
        };
        Func<nn.Module<Tensor, Tensor>, Tensor, Tensor, Tensor> post = (_, _, y) =>
        {
            calls.Add("post");
            return y;
        };
        var hooks = inTables ? ModuleHooks.Typed(linear, pre, post) : ModuleHooks.Registered(linear, pre, post);

        for (int round = 0; round < 2; round++)
        {
            hooks.PutOn();
            Assert.Equal((1, 1), TestModels.HookCounts(linear));
            linear.call(input).Dispose();
            hooks.TakeOff();
            Assert.Equal((0, 0), TestModels.HookCounts(linear));
            linear.call(input).Dispose();
        }

        Assert.Equal(new[] { "pre", "post", "pre", "post" }, calls);
    }

    [Fact]
    public void At_every_step_the_hooks_stay_on()
    {
        using var model = nn.Sequential(("fc", nn.Linear(2, 2)), ("relu", nn.ReLU()));
        using var monitor = GradientMonitor.Attach(model, new GradientMonitorOptions { CollectEvery = 1 });
        using var input = torch.randn(4, 2);

        for (int call = 0; call < 3; call++)
        {
            TestModels.Step(model, monitor, input);
            Assert.All(model.modules(), module => Assert.Equal((1, 1), TestModels.HookCounts(module)));
        }
    }

    [Fact]
    public void A_recurrent_layers_module_level_hooks_come_off_and_back_on_and_its_call_is_still_seen()
    {
        torch.manual_seed(3);
        using var model = new RecurrentRegressor();
        var lstm = model.children().OfType<LSTM>().Single();
        using var monitor = GradientMonitor.Attach(model, new GradientMonitorOptions { CollectEvery = 2 });
        using var input = torch.randn(4, 5, 3);

        var hooks = new List<(int, int)>();
        var reports = new List<GradientReport?>();
        for (int call = 0; call < 3; call++)
        {
            using var scope = torch.NewDisposeScope();
            model.zero_grad();
            model.call(input).sum().backward();
            reports.Add(monitor.Collect());
            hooks.Add(TestModels.HookCounts(lstm));
        }

        Assert.Equal(new[] { (0, 0), (1, 1), (0, 0) }, hooks);
        Assert.Null(reports[1]);
        Assert.All(new[] { reports[0]!, reports[2]! }, report =>
        {
            Assert.False(report.OrderInferred);
            Assert.Equal(new[] { "lstm", "head" }, report.Parameters.Select(parameter => parameter.Layer).Distinct());
        });
    }

    [Fact]
    public void Steps_collected_every_third_call_report_what_a_monitor_hooked_at_every_pass_reports()
    {
        AssertCollectedStepsAgree(() => new DeclaredBackwards(), 8);
        AssertCollectedStepsAgree(() => new CalledFirst(), 6);
    }

    /// <summary>Two identical models trained alike, one watched at every step and one every third.</summary>
    private static void AssertCollectedStepsAgree(Func<nn.Module<Tensor, Tensor>> create, int features)
    {
        using var everyStepModel = create();
        using var everyThirdModel = create();
        using var everyStep = GradientMonitor.Attach(everyStepModel, new GradientMonitorOptions { CollectEvery = 1 });
        using var everyThird = GradientMonitor.Attach(everyThirdModel, new GradientMonitorOptions { CollectEvery = 3 });
        using var everyStepOptimizer = torch.optim.SGD(everyStepModel.parameters(), 0.05);
        using var everyThirdOptimizer = torch.optim.SGD(everyThirdModel.parameters(), 0.05);
        using var input = Reference.Input(features);

        var reportsEveryStep = new List<GradientReport>();
        var reportsEveryThird = new Dictionary<long, GradientReport>();
        for (int step = 1; step <= 7; step++)
        {
            reportsEveryStep.Add(TrainingStep(everyStepModel, everyStep, everyStepOptimizer, input)!);
            if (TrainingStep(everyThirdModel, everyThird, everyThirdOptimizer, input) is { } report)
            {
                reportsEveryThird.Add(report.Step, report);
            }
        }

        Assert.Equal(new long[] { 1, 4, 7 }, reportsEveryThird.Keys);
        foreach (var (step, report) in reportsEveryThird)
        {
            var reference = reportsEveryStep[(int)step - 1];
            Assert.Equal(reference.Parameters, report.Parameters);
            Assert.Equal(reference.Activations, report.Activations);
            Assert.Equal(reference.TotalNorm, report.TotalNorm);
        }

        // Both measure the update of the optimizer step right after a collection: step 1's at steps 2 and 4, step 4's at 5 and 7.
        Assert.Equal(reportsEveryStep[1].UpdateRatios, reportsEveryThird[4].UpdateRatios);
        Assert.Equal(reportsEveryStep[4].UpdateRatios, reportsEveryThird[7].UpdateRatios);
        Assert.NotEmpty(reportsEveryThird[7].UpdateRatios);
    }

    private static GradientReport? TrainingStep(nn.Module<Tensor, Tensor> model, GradientMonitor monitor, torch.optim.Optimizer optimizer, Tensor input)
    {
        using var scope = torch.NewDisposeScope();
        optimizer.zero_grad();
        var output = model.call(input);
        nn.functional.mse_loss(output, torch.zeros_like(output)).backward();
        var report = monitor.Collect();
        optimizer.step();
        return report;
    }
}
