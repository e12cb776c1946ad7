using GradientFlow;

namespace GradGuard.Observability.Tests;

/// <summary>
/// Two training processes with the same models, told apart only by the run identity on their OpenTelemetry resource,
/// scraped as one job by one real Prometheus: each run's series are found by its <c>service.instance.id</c>, as the
/// dashboard's run selector finds them, and hold that run's own values.
/// </summary>
public sealed class MultipleTrainersTests
{
    private static readonly TimeSpan SampleTimeout = TimeSpan.FromMinutes(3);

    [Fact]
    public void Two_trainers_scraped_by_one_Prometheus_are_queried_apart_by_their_run()
    {
        var runs = new[] { (Id: "trainer-a", Seed: 1, Port: Loopback.FreePort()), (Id: "trainer-b", Seed: 2, Port: Loopback.FreePort()) };
        Assert.NotEqual(runs[0].Port, runs[1].Port);
        var json = runs.Select(trainer => Path.Combine(Path.GetTempPath(), $"gradguard-{trainer.Id}-{Guid.NewGuid():N}.json")).ToArray();
        try
        {
            using var prometheus = PrometheusServer.Start(runs.Select(trainer => trainer.Port).ToList());
            var samples = runs.Select((trainer, index) => ChildProcess.StartGradientFlow(new[]
            {
                "--depths", "4", "--width", "16", "--batch", "16", "--steps", "2", "--seed", $"{trainer.Seed}",
                "--prometheus-port", $"{trainer.Port}", "--serve-seconds", "3", "--run-id", trainer.Id, "--json", json[index],
            })).ToList();
            try
            {
                samples.ForEach(sample => sample.WaitForSuccess(SampleTimeout));
            }
            finally
            {
                samples.ForEach(sample => sample.Dispose());
            }

            var computed = json.Select(FlowJson.Read).ToList();
            Assert.Equal(computed[0].Configs.Select(configuration => configuration.Name), computed[1].Configs.Select(configuration => configuration.Name));
            for (int index = 0; index < runs.Length; index++)
            {
                var scraped = prometheus.Query(
                    "last_over_time(gradguard_gradient_first_to_last[10m])" +
                    $" and on(job, instance) last_over_time(target_info{{service_instance_id=\"{runs[index].Id}\"}}[10m])");
                Assert.All(scraped, sample => Assert.Equal($"127.0.0.1:{runs[index].Port}", PrometheusServer.Label(sample, "instance")));
                var byModel = scraped.ToDictionary(sample => PrometheusServer.Label(sample, "gradguard_model"), PrometheusServer.Value);
                Assert.Equal(computed[index].Configs.Select(configuration => configuration.Name).Order(), byModel.Keys.Order());
                foreach (var configuration in computed[index].Configs)
                {
                    Assert.Equal(configuration.Final.FirstToLastRatio, byModel[configuration.Name], 12);
                }
            }

            // The same model names carry different values in the two runs, so the queries above could not have mixed them up.
            Assert.NotEqual(computed[0].Configs[0].Final.FirstToLastRatio, computed[1].Configs[0].Final.FirstToLastRatio);
        }
        finally
        {
            Array.ForEach(json, File.Delete);
        }
    }
}
