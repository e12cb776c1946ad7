namespace GradGuard.Benchmarks.Tests;

/// <summary>The fit behind the monitor's cost model (µs per tensor, per site, per megabyte).</summary>
public class LeastSquaresTests
{
    [Fact]
    public void An_exact_linear_relation_is_recovered()
    {
        var observations = new[] { (1.0, 2.0), (3.0, 0.5), (10.0, 7.0), (0.0, 1.0) }
            .Select(point => (new[] { 1, point.Item1, point.Item2 }, 4 + 2.5 * point.Item1 - 0.5 * point.Item2))
            .ToList();

        var coefficients = LeastSquares.Fit(observations);

        Assert.Equal(new[] { 4, 2.5, -0.5 }, coefficients.Select(coefficient => Math.Round(coefficient, 9)));
    }

    [Fact]
    public void The_relative_fit_weighs_a_small_observation_as_much_as_a_large_one()
    {
        // y = 2x, but the largest observation is 10% high: an absolute fit follows it, a relative one the other three.
        var observations = new[] { (new[] { 1.0 }, 2.0), (new[] { 2.0 }, 4.0), (new[] { 3.0 }, 6.0), (new[] { 1000.0 }, 2200.0) };

        double absolute = LeastSquares.Fit(observations)[0];
        double relative = LeastSquares.FitRelative(observations)[0];

        Assert.InRange(absolute, 2.19, 2.2);
        Assert.InRange(relative, 2.0, 2.06);
    }
}
