using System.Runtime.CompilerServices;
using Books.Settings;
using MongoDB.Driver;
using MongoDB.Driver.Core.Events;

namespace Books.Api.Database;

/// <summary>
/// What books-api asks of its <see cref="MongoClient"/> beyond the client integration's defaults: a request waits for a
/// pooled connection no longer than its time limit (the driver's own default is 2 minutes), and such a wait that runs
/// out is recognised as overload (<see cref="IsCheckOutTimeout"/>), not as an unreachable server. Also what it refuses
/// in the connection string (<see cref="Validate"/>).
/// </summary>
public sealed class BooksMongoClientSettings
{
    private readonly ConditionalWeakTable<Exception, object> _checkOutTimeouts = [];

    /// <summary>Registers the instance and returns what the client integration applies to the client's settings.</summary>
    public static Action<MongoClientSettings> Configure(IHostApplicationBuilder builder)
    {
        var instance = new BooksMongoClientSettings();
        builder.Services.AddSingleton(instance);
        var limits = builder.Configuration.GetSection(QueryLimitSettings.SectionName).Get<QueryLimitSettings>() ?? QueryLimitSettings.Defaults;
        var connectionString = ConnectionString(builder.Configuration, BooksApiSettings.DatabaseConnectionName);
        return settings => instance.Apply(settings, TimeSpan.FromMilliseconds(limits.TimeLimitMilliseconds), connectionString);
    }

    /// <summary>Whether <paramref name="exception"/> is the driver giving up on a pooled connection: every one was busy.</summary>
    public bool IsCheckOutTimeout(Exception exception) => _checkOutTimeouts.TryGetValue(exception, out _);

    private void Apply(MongoClientSettings settings, TimeSpan timeLimit, string? connectionString)
    {
        if (connectionString is null || !ConnectionStringOptions(connectionString).Contains("waitQueueTimeoutMS"))
        {
            settings.WaitQueueTimeout = timeLimit;
        }

        var configured = settings.ClusterConfigurator;
        settings.ClusterConfigurator = cluster =>
        {
            configured?.Invoke(cluster);
            cluster.Subscribe<ConnectionPoolCheckingOutConnectionFailedEvent>(failed =>
            {
                if (failed.Reason == ConnectionCheckOutFailedReason.Timeout)
                {
                    _checkOutTimeouts.AddOrUpdate(failed.Exception, failed.Reason); // the instance the operation throws
                }
            });
        };
    }

    /// <summary>
    /// Refuses, naming the key, a connection string whose options would make books-api answer falsely:
    /// <list type="bullet">
    /// <item><c>timeoutMS</c> (client-side operation timeout): the driver then drops every maxTimeMS and wtimeout books-api
    /// sets, retries until the deadline, and ends with a TimeoutException that cannot tell an applied write from one never
    /// sent. books-api bounds each operation itself (<c>Books:Queries:TimeLimitMilliseconds</c>).</item>
    /// <item>a <c>readPreference</c> other than primary or primaryPreferred: reads from a secondary may be stale, and an ETag,
    /// a 304 or a 412 computed from a stale read is wrong.</item>
    /// </list>
    /// </summary>
    /// <exception cref="InvalidOperationException">One of those options is set.</exception>
    public static void Validate(IConfiguration configuration, string connectionName)
    {
        if (ConnectionString(configuration, connectionName) is not { } connectionString)
        {
            return; // the client integration already refused it, naming the keys
        }

        var key = $"ConnectionStrings:{connectionName}";
        if (ConnectionStringOptions(connectionString).Contains("timeoutMS"))
        {
            throw new InvalidOperationException(
                $"'{key}' sets timeoutMS, which books-api does not support: the driver would then drop the time limits books-api puts on " +
                $"each operation and could not tell an applied write from one never sent. Remove it; '{QueryLimitSettings.TimeLimitMillisecondsKey}' " +
                "bounds every operation.");
        }

        if (MongoUrl.Create(connectionString).ReadPreference?.ReadPreferenceMode is { } mode
            && mode is not (ReadPreferenceMode.Primary or ReadPreferenceMode.PrimaryPreferred))
        {
            throw new InvalidOperationException(
                $"'{key}' sets readPreference={mode}, which books-api does not support: a secondary may answer with a stale book, and an " +
                "ETag, 304 or 412 made from it is wrong. Use primary (the default) or primaryPreferred.");
        }
    }

    /// <summary>The connection string as the client integration reads it: ConnectionStrings first, then its own section.</summary>
    private static string? ConnectionString(IConfiguration configuration, string connectionName) =>
        configuration.GetConnectionString(connectionName)
        ?? configuration[$"Aspire:MongoDB:Driver:{connectionName}:ConnectionString"]
        ?? configuration["Aspire:MongoDB:Driver:ConnectionString"];

    /// <summary>The option names of a connection string; MongoDB's URI options are case-insensitive.</summary>
    private static HashSet<string> ConnectionStringOptions(string connectionString)
    {
        var query = connectionString.IndexOf('?', StringComparison.Ordinal) is var at and >= 0 ? connectionString[(at + 1)..] : "";
        return query.Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(option => option.Split('=', 2)[0])
            .ToHashSet(StringComparer.OrdinalIgnoreCase);
    }
}
