using Microsoft.Extensions.Logging;
using MongoDB.Driver;
using MongoDB.Driver.Core.Configuration;

namespace Aspire.MongoDB.Driver;

/// <summary>
/// The client settings of a <c>mongodb+srv://</c> connection string without blocking startup on DNS. The driver reads
/// the host's TXT record (options such as authSource and replicaSet) synchronously while it makes the settings, and a
/// resolver that does not answer holds that for its whole time-out, then throws, which stopped the host (RELIABILITY.md).
/// Here the lookup gets <see cref="LookupTimeout"/>; when it fails or runs out, the client is made
/// from the connection string alone (the servers still come from the SRV record, polled in the background), and
/// <see cref="Failure"/> says so for <c>/health</c>, which stays unhealthy until a restart reads the record.
/// </summary>
internal sealed partial class MongoDBSrvOptions(TimeSpan lookupTimeout)
{
    internal const string TxtNotRead =
        "The DNS TXT record of the mongodb+srv:// host could not be read at startup, so the options it publishes (authSource, replicaSet, " +
        "loadBalanced) are not applied; restart once DNS answers. The startup log names the host.";

    /// <summary>The default bound on the TXT lookup: DNS answers in milliseconds when it works.</summary>
    public static readonly TimeSpan DefaultLookupTimeout = TimeSpan.FromSeconds(5);

    public TimeSpan LookupTimeout { get; } = lookupTimeout;

    /// <summary>Why the settings lack the TXT record's options; null when they have them.</summary>
    public string? Failure { get; private set; }

    public MongoClientSettings SettingsFor(MongoUrl url, ILogger logger)
    {
        var lookup = Task.Run(() => MongoClientSettings.FromUrl(url)); // reads the TXT record, synchronously
        try
        {
            return lookup.WaitAsync(LookupTimeout).GetAwaiter().GetResult();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            _ = lookup.ContinueWith(
                finished => LogLateLookup(logger, url.Server.Host, finished.Exception?.GetBaseException().GetType().Name ?? "answered"),
                TaskScheduler.Default);
            Failure = TxtNotRead;
            LogTxtNotRead(logger, ex, url.Server.Host, LookupTimeout.TotalMilliseconds);
            return WithoutTxtRecord(url);
        }
    }

    /// <summary>
    /// What the driver makes of the connection string when its TXT record adds nothing: the SRV host as the one seed (so
    /// the driver polls its SRV record), TLS on unless the string says otherwise (the connection-string specification's
    /// default for mongodb+srv://).
    /// </summary>
    private static MongoClientSettings WithoutTxtRecord(MongoUrl url)
    {
        var host = url.Server.Host;
        var builder = new MongoUrlBuilder(url.ToString()) { Scheme = ConnectionStringScheme.MongoDB, Server = new MongoServerAddress(host) };
        var options = url.ToString().Split('?', 2) is [_, var query] ? query.Split('&').Select(option => option.Split('=')[0]) : [];
        if (!options.Any(option => option.Equals("tls", StringComparison.OrdinalIgnoreCase) || option.Equals("ssl", StringComparison.OrdinalIgnoreCase)))
        {
            builder.UseTls = true;
        }

        var settings = MongoClientSettings.FromUrl(builder.ToMongoUrl());
        settings.Scheme = ConnectionStringScheme.MongoDBPlusSrv;
        settings.Servers = [new MongoServerAddress(host)];
        return settings;
    }

    [LoggerMessage(Level = LogLevel.Error,
        Message = "The DNS TXT record of {Host} could not be read within {TimeoutMilliseconds} ms at startup; the client runs without the options it publishes " +
            "(authSource, replicaSet, loadBalanced) until a restart.")]
    private static partial void LogTxtNotRead(ILogger logger, Exception exception, string host, double timeoutMilliseconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "The startup DNS TXT lookup of {Host} ended later ({Outcome}); its options take effect at the next start.")]
    private static partial void LogLateLookup(ILogger logger, string host, string outcome);
}
