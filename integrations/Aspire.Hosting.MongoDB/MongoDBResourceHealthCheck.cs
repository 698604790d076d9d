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

    /// <summary>How many clients are open (for tests).</summary>
    internal int Count => _clients.Count;

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
/// For a replica-set server it also initiates the set once and is Healthy only when a primary accepts
/// writes, so <c>WaitFor</c> means "transactions will work".
/// </summary>
internal sealed class MongoDBResourceHealthCheck(
    IResourceWithConnectionString resource,
    IMongoDBServerResource server,
    string databaseName,
    TimeSpan timeout,
    MongoDBHealthCheckClients clients) : IHealthCheck
{
    private const int AlreadyInitializedCode = 23;
    private static readonly BsonDocument s_ping = new("ping", 1);
    private static readonly BsonDocument s_hello = new("hello", 1);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutSource.CancelAfter(timeout);
        var token = timeoutSource.Token;
        try
        {
            // Health checks run once the resource is running, so its endpoint is allocated by now.
            var connectionString = await resource.ConnectionStringExpression.GetValueAsync(token).ConfigureAwait(false)
                ?? throw new InvalidOperationException($"Resource '{resource.Name}' has no connection string.");
            var client = clients.Get(connectionString, timeout);
            await client.GetDatabase(databaseName).RunCommandAsync<BsonDocument>(s_ping, cancellationToken: token).ConfigureAwait(false);

            return server.ReplicaSetName is { } replicaSet
                ? await CheckReplicaSetAsync(client, replicaSet, token).ConfigureAwait(false)
                : HealthCheckResult.Healthy();
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy($"MongoDB did not answer within {timeout.TotalMilliseconds:0} ms.");
        }
        catch (Exception ex) when (ex is MongoException or TimeoutException or InvalidOperationException)
        {
            return HealthCheckResult.Unhealthy($"MongoDB check failed: {ex.Message}");
        }
    }

    private async Task<HealthCheckResult> CheckReplicaSetAsync(IMongoClient client, string replicaSet, CancellationToken token)
    {
        var admin = client.GetDatabase("admin");
        var hello = await admin.RunCommandAsync<BsonDocument>(s_hello, cancellationToken: token).ConfigureAwait(false);
        if (!hello.Contains("setName"))
        {
            var port = await server.PrimaryEndpoint.Property(EndpointProperty.TargetPort).GetValueAsync(token).ConfigureAwait(false);
            var initiate = new BsonDocument("replSetInitiate", new BsonDocument
            {
                { "_id", replicaSet },
                { "members", new BsonArray { new BsonDocument { { "_id", 0 }, { "host", $"127.0.0.1:{port}" } } } },
            });
            try
            {
                await admin.RunCommandAsync<BsonDocument>(initiate, cancellationToken: token).ConfigureAwait(false);
            }
            catch (MongoCommandException ex) when (ex.Code == AlreadyInitializedCode)
            {
                // Another probe got there first.
            }

            return HealthCheckResult.Unhealthy($"Replica set '{replicaSet}' initiated; waiting for a primary.");
        }

        return hello.GetValue("isWritablePrimary", false).ToBoolean()
            ? HealthCheckResult.Healthy()
            : HealthCheckResult.Unhealthy($"Replica set '{replicaSet}' has no writable primary yet.");
    }
}
