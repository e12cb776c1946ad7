using GradGuard.Benchmarks.Monitor;

namespace GradGuard.Benchmarks.Tests;

/// <summary>The orders the interleaved comparison takes its turns in, and the clock each variant's monitor reads.</summary>
public class TurnOrderTests
{
    [Theory]
    [InlineData(2)]
    [InlineData(5)]
    [InlineData(6)]
    public void Over_the_orders_every_variant_follows_every_other_equally_often(int count)
    {
        var orders = MonitorOverhead.TurnOrders(count);

        Assert.All(orders, order => Assert.Equal(Enumerable.Range(0, count), order.Order()));
        var neighbours = orders.SelectMany(order => order.Zip(order.Skip(1))).GroupBy(pair => pair).ToDictionary(group => group.Key, group => group.Count());
        Assert.Equal(count * (count - 1), neighbours.Count);
        Assert.Single(neighbours.Values.Distinct());
    }

    [Theory]
    [InlineData(3)]
    [InlineData(5)]
    public void With_an_odd_count_every_row_starts_with_the_variant_the_row_before_ended_with(int count)
    {
        var orders = MonitorOverhead.TurnOrders(count);

        Assert.All(orders.Zip(orders.Skip(1).Append(orders[0])), rows => Assert.Equal(rows.First[^1], rows.Second[0]));
    }

    [Fact]
    public void With_six_variants_all_but_the_three_steps_between_chains_are_a_variant_following_itself()
    {
        var orders = MonitorOverhead.TurnOrders(6);

        int breaks = orders.Zip(orders.Skip(1).Append(orders[0])).Count(rows => rows.First[^1] != rows.Second[0]);
        Assert.Equal(3, breaks);
        Assert.Equal(12, orders.Count);
    }

    [Fact]
    public void Five_variants_take_one_round_of_ten_steps_for_the_whole_design()
    {
        Assert.Equal(MonitorOverhead.StepsPerRound, MonitorOverhead.TurnOrders(5).Count);
    }

    [Fact]
    public void A_turn_clock_runs_only_during_its_turns()
    {
        var clock = new TurnClock();
        long before = clock.GetTimestamp();
        Thread.Sleep(20);
        Assert.Equal(before, clock.GetTimestamp());

        long inside = 0;
        var took = clock.Run(() =>
        {
            Thread.Sleep(20);
            inside = clock.GetTimestamp();
        });
        Thread.Sleep(20);
        long after = clock.GetTimestamp();

        Assert.InRange(inside - before, 1, after - before);
        // A TimeSpan holds whole ticks of 100 ns: within one tick, not to some number of decimal places, which two
        // values a few nanoseconds apart can round to either side of.
        Assert.Equal((double)(after - before) / clock.TimestampFrequency, took.TotalSeconds, tolerance: 1e-7);
        Assert.True(took >= TimeSpan.FromMilliseconds(20), $"a turn of 20 ms took {took}");
    }
}
