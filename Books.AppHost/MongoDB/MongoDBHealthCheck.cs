using System.Collections.Concurrent;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using MongoDB.Bson;
using MongoDB.Driver;

namespace Aspire.Hosting.MongoDB;

/// <summary>
/// One MongoClient per connection string for the AppHost's health probes: created once even under
/// concurrent probes, disposed with the AppHost (it is a DI singleton).
/// </summary>
internal sealed class MongoDBHealthCheckClients : IDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<MongoClient>> _clients = new(StringComparer.Ordinal);
    private bool _disposed;

    public IMongoClient Get(string connectionString, TimeSpan timeout)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _clients.GetOrAdd(connectionString, cs => new Lazy<MongoClient>(() => Create(cs, timeout))).Value;
    }

    private static MongoClient Create(string connectionString, TimeSpan timeout)
    {
        var settings = MongoClientSettings.FromConnectionString(connectionString);
        settings.ServerSelectionTimeout = timeout;
        settings.ConnectTimeout = timeout;
        settings.ApplicationName = "aspire-apphost-health";
        settings.TracingOptions = new() { Disabled = true };
        return new MongoClient(settings);
    }

    public void Dispose()
    {
        _disposed = true;
        foreach (var client in _clients.Values.Where(c => c.IsValueCreated))
        {
            client.Value.Dispose();
        }

        _clients.Clear();
    }
}

/// <summary>
/// Pings MongoDB through the resource's own connection string. Never waits past its timeout: a
/// silent server is Unhealthy after <c>timeout</c>, not after the driver's 30 s server-selection default.
/// </summary>
internal sealed class MongoDBHealthCheck(
    IResourceWithConnectionString resource, string databaseName, TimeSpan timeout, MongoDBHealthCheckClients clients) : IHealthCheck
{
    private static readonly BsonDocument s_ping = new("ping", 1);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutSource.CancelAfter(timeout);
        try
        {
            // Health checks run once the resource is running, so its endpoint is allocated by now.
            var connectionString = await resource.ConnectionStringExpression.GetValueAsync(timeoutSource.Token).ConfigureAwait(false)
                ?? throw new InvalidOperationException($"Resource '{resource.Name}' has no connection string.");
            await clients.Get(connectionString, timeout).GetDatabase(databaseName)
                .RunCommandAsync<BsonDocument>(s_ping, cancellationToken: timeoutSource.Token)
                .ConfigureAwait(false);
            return HealthCheckResult.Healthy();
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy($"MongoDB did not answer a ping within {timeout.TotalMilliseconds:0} ms.");
        }
        catch (Exception ex) when (ex is MongoException or TimeoutException or InvalidOperationException)
        {
            return HealthCheckResult.Unhealthy($"MongoDB ping failed: {ex.Message}");
        }
    }
}
