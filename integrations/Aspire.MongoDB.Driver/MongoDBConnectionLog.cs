using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using MongoDB.Driver;

namespace Aspire.MongoDB.Driver;

/// <summary>A configured MongoDB connection, as the startup log describes it (no credentials).</summary>
internal sealed record MongoDBConnectionInfo(string ConnectionName, MongoUrl Url);

/// <summary>Logs, once at startup, which servers and database each MongoDB connection uses; never its credentials.</summary>
internal sealed partial class MongoDBConnectionLog(IEnumerable<MongoDBConnectionInfo> connections, ILogger<MongoDBConnectionLog> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var connection in connections)
        {
            LogConnection(
                connection.ConnectionName,
                connection.Url.Scheme == global::MongoDB.Driver.Core.Configuration.ConnectionStringScheme.MongoDBPlusSrv
                    ? $"from the DNS SRV record _mongodb._tcp.{connection.Url.Server.Host}"
                    : string.Join(",", connection.Url.Servers.Select(s => $"{s.Host}:{s.Port}")),
                connection.Url.DatabaseName ?? "(none)",
                connection.Url.ReplicaSetName ?? "(none)");
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information,
        Message = "MongoDB connection '{ConnectionName}' uses server(s) {Servers}, database {DatabaseName}, replica set {ReplicaSet}.")]
    private partial void LogConnection(string connectionName, string servers, string databaseName, string replicaSet);
}
