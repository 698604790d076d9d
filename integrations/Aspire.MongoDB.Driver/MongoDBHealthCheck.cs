using Microsoft.Extensions.Diagnostics.HealthChecks;
using MongoDB.Bson;
using MongoDB.Driver;
using OpenTelemetry;

namespace Aspire.MongoDB.Driver;

/// <summary>Pings the database through the application's own client, bounded by a timeout, without tracing the ping.</summary>
internal sealed class MongoDBHealthCheck(IMongoClient client, string databaseName, TimeSpan timeout) : IHealthCheck
{
    private static readonly BsonDocument s_ping = new("ping", 1);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutSource.CancelAfter(timeout);

        // A probe every few seconds is not worth a trace: without this, each ping would be a root span of its
        // own (the probe's HTTP span is filtered out), and those would crowd out the requests' traces.
        using var quiet = SuppressInstrumentationScope.Begin();
        try
        {
            await client.GetDatabase(databaseName)
                .RunCommandAsync<BsonDocument>(s_ping, cancellationToken: timeoutSource.Token)
                .ConfigureAwait(false);
            return HealthCheckResult.Healthy();
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new HealthCheckResult(context.Registration.FailureStatus,
                $"MongoDB did not answer a ping within {timeout.TotalMilliseconds:0} ms.");
        }
        catch (Exception ex) when (ex is MongoException or TimeoutException)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, "MongoDB ping failed.", ex);
        }
    }
}
