namespace GradGuard.Benchmarks;

internal static class LeastSquares
{
    /// <summary>
    /// The coefficients that minimise the squared relative error of <c>Σ coefficient·x</c> against y: every observation
    /// weighs the same whatever its size.
    /// </summary>
    public static double[] FitRelative(IReadOnlyList<(double[] X, double Y)> observations) =>
        Fit(observations.Select(observation => (observation.X.Select(x => x / observation.Y).ToArray(), 1.0)).ToList());

    /// <summary>The coefficients that minimise the squared error of <c>Σ coefficient·x</c> against y (normal equations, Gaussian elimination).</summary>
    public static double[] Fit(IReadOnlyList<(double[] X, double Y)> observations)
    {
        int size = observations[0].X.Length;
        var matrix = new double[size, size + 1];
        foreach (var (x, y) in observations)
        {
            for (int row = 0; row < size; row++)
            {
                for (int column = 0; column < size; column++)
                {
                    matrix[row, column] += x[row] * x[column];
                }

                matrix[row, size] += x[row] * y;
            }
        }

        for (int pivot = 0; pivot < size; pivot++)
        {
            int best = Enumerable.Range(pivot, size - pivot).MaxBy(row => Math.Abs(matrix[row, pivot]));
            for (int column = 0; column <= size; column++)
            {
                (matrix[pivot, column], matrix[best, column]) = (matrix[best, column], matrix[pivot, column]);
            }

            for (int row = 0; row < size; row++)
            {
                if (row != pivot && matrix[pivot, pivot] != 0)
                {
                    double factor = matrix[row, pivot] / matrix[pivot, pivot];
                    for (int column = pivot; column <= size; column++)
                    {
                        matrix[row, column] -= factor * matrix[pivot, column];
                    }
                }
            }
        }

        return Enumerable.Range(0, size).Select(row => matrix[row, row] == 0 ? double.NaN : matrix[row, size] / matrix[row, row]).ToArray();
    }
}
