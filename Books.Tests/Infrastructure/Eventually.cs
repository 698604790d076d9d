namespace Books.Tests.Infrastructure;

/// <summary>Polls until a condition holds; the caller's token bounds the wait.</summary>
public static class Eventually
{
    private static readonly TimeSpan s_interval = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// Until GET <paramref name="path"/> answers <paramref name="expected"/>. Not listening yet, or too slow for the
    /// client's own time-out, counts as not yet; <paramref name="stillWorth"/> (when given) fails the wait early, with
    /// its message, once waiting longer is pointless (the process serving it has exited, say).
    /// </summary>
    public static async Task StatusAsync(
        HttpClient client, string path, HttpStatusCode expected, CancellationToken cancellationToken, Func<string?>? stillWorth = null)
    {
        string? last = null;
        while (!cancellationToken.IsCancellationRequested)
        {
            if (stillWorth?.Invoke() is { } pointless)
            {
                throw new InvalidOperationException($"GET {path} will not answer {expected}: {pointless}");
            }

            try
            {
                using var response = await client.GetAsync(path, cancellationToken);
                if (response.StatusCode == expected)
                {
                    return;
                }

                last = $"status {(int)response.StatusCode}";
            }
            catch (Exception ex) when (ex is HttpRequestException || (ex is TaskCanceledException && !cancellationToken.IsCancellationRequested))
            {
                last = ex.Message; // not listening yet, or still starting
            }

            await Task.Delay(s_interval, cancellationToken);
        }

        throw new TimeoutException($"GET {client.BaseAddress}{path} never returned {expected}; last: {last}.");
    }

    public static async Task TrueAsync(Func<bool> condition, string what, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            if (condition())
            {
                return;
            }

            await Task.Delay(s_interval, cancellationToken);
        }

        throw new TimeoutException($"Never true: {what}.");
    }

    public static async Task TrueAsync(Func<Task<bool>> condition, string what, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            if (await condition())
            {
                return;
            }

            await Task.Delay(s_interval, cancellationToken);
        }

        throw new TimeoutException($"Never true: {what}.");
    }
}
