using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Books.Api.Database;

/// <summary>
/// <c>books-indexes</c>: Healthy once every index exists. Unhealthy only while MongoDB cannot be reached (no read
/// could be served either); otherwise Degraded, which is still ready: reads are served, and writes that store a book
/// answer 503 while the unique ISBN index is missing, saying why.
/// </summary>
public sealed class BookIndexesHealthCheck(BookIndexStatus status) : IHealthCheck
{
    public const string Name = "books-indexes";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!status.Started)
        {
            return Task.FromResult(HealthCheckResult.Degraded("Writes wait for the unique ISBN index. The books indexes are not created yet."));
        }

        var missing = status.Missing;
        if (missing.Count == 0)
        {
            return Task.FromResult(HealthCheckResult.Healthy());
        }

        var description = (status.IsbnIndexReady ? "" : "Writes wait for the unique ISBN index. ")
            + string.Join(" ", missing.Select(index => $"{char.ToUpperInvariant(index.Name[0])}{index.Name[1..]}: {index.Reason ?? "not created yet."}"));
        return Task.FromResult(missing.Any(index => index.Unreachable)
            ? new HealthCheckResult(context.Registration.FailureStatus, description)
            : HealthCheckResult.Degraded(description));
    }
}
