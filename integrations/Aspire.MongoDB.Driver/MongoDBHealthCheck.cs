using Microsoft.Extensions.Diagnostics.HealthChecks;
using MongoDB.Bson;
using MongoDB.Driver;
using OpenTelemetry;

namespace Aspire.MongoDB.Driver;

/// <summary>
/// Pings the database through the application's own client, bounded by a timeout, without tracing the ping. For a
/// <c>mongodb+srv://</c> connection string the client finds its servers through DNS, in the background (a failing
/// lookup neither throws at startup nor stops the process); while DNS has given it no server, the check says so,
/// since the driver's own error only shows an empty list of servers; and when the host's TXT record could not be read
/// at startup (<see cref="MongoDBSrvOptions"/>), the check fails saying so. The host is named in the startup log, not
/// here: <c>/health</c> answers anyone.
/// </summary>
internal sealed class MongoDBHealthCheck(IMongoClient client, string databaseName, TimeSpan timeout, MongoDBSrvOptions? srv) : IHealthCheck
{
    internal const string NoServerFromDns =
        "MongoDB ping failed: DNS has given no server for the mongodb+srv:// connection string yet (its SRV record is missing, "
        + "or the DNS this process uses is failing); the startup log names the SRV record. The client keeps trying.";

    private static readonly BsonDocument s_ping = new("ping", 1);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (srv?.Failure is { } failure)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, failure);
        }

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
            return new HealthCheckResult(context.Registration.FailureStatus,
                srv is not null && client.Cluster.Description.Servers.Count == 0 ? NoServerFromDns : "MongoDB ping failed.", ex);
        }
    }
}
