using System.Net;

namespace Books.Tests.Infrastructure;

/// <summary>Polls until a condition holds; the caller's token bounds the wait.</summary>
public static class Eventually
{
    private static readonly TimeSpan s_interval = TimeSpan.FromMilliseconds(250);

    public static async Task StatusAsync(HttpClient client, string path, HttpStatusCode expected, CancellationToken cancellationToken)
    {
        HttpStatusCode? last = null;
        while (!cancellationToken.IsCancellationRequested)
        {
            using (var response = await client.GetAsync(path, cancellationToken))
            {
                last = response.StatusCode;
                if (last == expected)
                {
                    return;
                }
            }

            await Task.Delay(s_interval, cancellationToken);
        }

        throw new TimeoutException($"GET {path} never returned {expected}; last status {last}.");
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
