namespace GradGuard.Benchmarks.Tests;

/// <summary>The medians and intervals every ratio of the benchmark is reported with.</summary>
public class StatisticsTests
{
    [Theory]
    [InlineData(new[] { 3.0, 1.0, 2.0 }, 2.0)]
    [InlineData(new[] { 4.0, 1.0, 3.0, 2.0 }, 2.5)]
    public void Median_is_the_middle_value_or_the_mean_of_the_two_middle_ones(double[] values, double median) =>
        Assert.Equal(median, Statistics.Median(values));

    [Fact]
    public void Fifteen_rounds_give_the_4th_and_12th_values_at_96_5_percent()
    {
        var shuffled = new[] { 9.0, 2, 14, 5, 11, 1, 15, 7, 3, 12, 6, 13, 4, 10, 8 };

        var interval = Statistics.MedianConfidenceInterval(shuffled);

        Assert.Equal(4, interval.Low);
        Assert.Equal(12, interval.High);
        Assert.Equal(1 - 2 * (1 + 15 + 105 + 455) / 32768.0, interval.Coverage, precision: 12);
    }

    [Theory]
    [InlineData(3, 0.75)]
    [InlineData(7, 0.984375)]
    public void Rounds_too_few_for_a_narrower_interval_at_95_percent_give_the_whole_range_with_its_own_coverage(int count, double coverage)
    {
        var values = Enumerable.Range(1, count).Select(value => (double)value).Reverse().ToList();

        var interval = Statistics.MedianConfidenceInterval(values);

        Assert.Equal((1, count), (interval.Low, interval.High));
        Assert.Equal(coverage, interval.Coverage, precision: 12);
    }

    [Fact]
    public void Nothing_to_summarise_is_an_error() =>
        Assert.Throws<ArgumentException>(() => Statistics.MedianConfidenceInterval(Array.Empty<double>()));
}
