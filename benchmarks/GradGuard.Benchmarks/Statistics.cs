namespace GradGuard.Benchmarks;

/// <summary>A confidence interval for a median, and the probability that it holds the true median.</summary>
internal readonly record struct MedianInterval(double Low, double High, double Coverage);

internal static class Statistics
{
    public static double Median(IEnumerable<double> values)
    {
        var sorted = Sorted(values);
        int middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    /// <summary>
    /// The distribution-free interval for the median: the k-th smallest and the k-th largest value, with the largest k
    /// whose coverage, 1 − 2·P(Binomial(n, ½) &lt; k), is still at least <paramref name="confidence"/>. It assumes
    /// nothing about how the timings scatter, which on a shared machine is anything but normal. With too few values
    /// for that confidence it is the whole range, with the lower coverage the range has (75% for 3 values).
    /// </summary>
    public static MedianInterval MedianConfidenceInterval(IEnumerable<double> values, double confidence = 0.95)
    {
        var sorted = Sorted(values);
        int count = sorted.Length;
        int k = 1;
        while (2 * (k + 1) <= count + 1 && Coverage(count, k + 1) >= confidence)
        {
            k++;
        }

        return new MedianInterval(sorted[k - 1], sorted[count - k], Coverage(count, k));
    }

    /// <summary>The probability that the k-th smallest and k-th largest of n values enclose their median.</summary>
    private static double Coverage(int count, int k)
    {
        // P(Binomial(n, ½) ≤ k − 1): the first k binomial coefficients over 2ⁿ.
        double coefficient = 1;
        double belowK = 0;
        for (int successes = 0; successes < k; successes++)
        {
            belowK += coefficient;
            coefficient = coefficient * (count - successes) / (successes + 1);
        }

        return 1 - 2 * belowK / Math.Pow(2, count);
    }

    private static double[] Sorted(IEnumerable<double> values)
    {
        var sorted = values.OrderBy(value => value).ToArray();
        return sorted.Length > 0 ? sorted : throw new ArgumentException("No values to summarise.", nameof(values));
    }
}
