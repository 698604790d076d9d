namespace Aspire.MongoDB.Driver;

/// <summary>
/// Settings of the MongoDB client integration, bound from <c>Aspire:MongoDB:Driver</c>,
/// then <c>Aspire:MongoDB:Driver:{connectionName}</c>, then <c>ConnectionStrings:{connectionName}</c>.
/// Same names as the official Aspire.MongoDB.Driver package.
/// </summary>
public sealed class MongoDBSettings
{
    /// <summary>Default bound on one health probe, so a silent server cannot hold <c>/health</c> for
    /// the driver's 30 s server-selection timeout.</summary>
    public const int DefaultHealthCheckTimeoutMilliseconds = 3_000;

    /// <summary>Server-selection timeout when the connection string sets none (the driver's own default is 30 s),
    /// so requests fail fast while MongoDB is unreachable.</summary>
    public static readonly TimeSpan DefaultServerSelectionTimeout = TimeSpan.FromSeconds(5);

    /// <summary>The MongoDB connection string (a <c>mongodb://</c> or <c>mongodb+srv://</c> URL).</summary>
    public string? ConnectionString { get; set; }

    /// <summary>Whether the <c>MongoDB.Driver</c> health check is left out.</summary>
    public bool DisableHealthChecks { get; set; }

    /// <summary>How long one health probe may take, in milliseconds. Unlike the official package,
    /// this has a default (<see cref="DefaultHealthCheckTimeoutMilliseconds"/>).</summary>
    public int? HealthCheckTimeout { get; set; }

    /// <summary>Whether the driver emits no OpenTelemetry activities for this client.</summary>
    public bool DisableTracing { get; set; }
}
