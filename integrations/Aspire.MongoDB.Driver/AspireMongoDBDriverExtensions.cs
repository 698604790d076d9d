using Aspire.MongoDB.Driver;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using MongoDB.Driver;
using MongoDB.Driver.Core.Configuration;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Registers one <see cref="IMongoClient"/> per connection for the whole process, mirroring the
/// public surface of the official Aspire.MongoDB.Driver package, but validating configuration at
/// startup instead of at first use.
/// </summary>
public static class AspireMongoDBDriverExtensions
{
    internal const string DefaultConfigSectionName = "Aspire:MongoDB:Driver";
    internal const string HealthCheckName = "MongoDB.Driver";

    /// <summary>The MongoDB driver's own ActivitySource (MongoDB.Driver 3.7+), registered unless <see cref="MongoDBSettings.DisableTracing"/>.</summary>
    internal const string ActivitySourceName = "MongoDB.Driver";

    /// <summary>
    /// Registers a singleton <see cref="IMongoClient"/> (and an <see cref="IMongoDatabase"/> when the
    /// connection string names a database), a <c>MongoDB.Driver</c> health check, driver logging
    /// and tracing.
    /// </summary>
    /// <exception cref="InvalidOperationException">The connection string is missing or malformed.</exception>
    public static void AddMongoDBClient(
        this IHostApplicationBuilder builder,
        string connectionName,
        Action<MongoDBSettings>? configureSettings = null,
        Action<MongoClientSettings>? configureClientSettings = null)
        => AddMongoDBClient(builder, connectionName, serviceKey: null, configureSettings, configureClientSettings);

    /// <summary>
    /// Same as <see cref="AddMongoDBClient"/>, registered as keyed services under <paramref name="name"/>.
    /// </summary>
    public static void AddKeyedMongoDBClient(
        this IHostApplicationBuilder builder,
        string name,
        Action<MongoDBSettings>? configureSettings = null,
        Action<MongoClientSettings>? configureClientSettings = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        AddMongoDBClient(builder, name, serviceKey: name, configureSettings, configureClientSettings);
    }

    private static void AddMongoDBClient(
        IHostApplicationBuilder builder,
        string connectionName,
        string? serviceKey,
        Action<MongoDBSettings>? configureSettings,
        Action<MongoClientSettings>? configureClientSettings)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionName);

        var settings = ReadSettings(builder.Configuration, connectionName, configureSettings);
        var url = MongoDBConnectionString.Parse(settings.ConnectionString, connectionName);
        if (settings.HealthCheckTimeout is <= 0)
        {
            throw new InvalidOperationException(
                $"'{DefaultConfigSectionName}:{connectionName}:HealthCheckTimeout' (or '{DefaultConfigSectionName}:HealthCheckTimeout') " +
                $"is {settings.HealthCheckTimeout}; it must be a positive number of milliseconds.");
        }

        var srv = url.Scheme == ConnectionStringScheme.MongoDBPlusSrv ? new MongoDBSrvOptions(MongoDBSrvOptions.DefaultLookupTimeout) : null;
        builder.Services.AddKeyedSingleton<IMongoClient>(serviceKey, (services, _) =>
            CreateClient(services, url, srv, settings, configureClientSettings));
        builder.Services.AddSingleton(new MongoDBConnectionInfo(connectionName, url));
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, MongoDBConnectionLog>());

        if (url.DatabaseName is { Length: > 0 } databaseName)
        {
            builder.Services.AddKeyedSingleton<IMongoDatabase>(serviceKey, (services, key) =>
                services.GetRequiredKeyedService<IMongoClient>(key).GetDatabase(databaseName));
        }

        if (!settings.DisableTracing)
        {
            builder.Services.AddOpenTelemetry().WithTracing(tracing => tracing.AddSource(ActivitySourceName));
        }

        if (!settings.DisableHealthChecks)
        {
            AddHealthCheck(builder, serviceKey, url, settings, srv);
        }
    }

    /// <summary>A <c>MongoDB.Driver</c> check that pings the database through the registered client, bounded by its timeout.</summary>
    private static void AddHealthCheck(IHostApplicationBuilder builder, string? serviceKey, MongoUrl url, MongoDBSettings settings, MongoDBSrvOptions? srv)
    {
        var timeout = TimeSpan.FromMilliseconds(settings.HealthCheckTimeout ?? MongoDBSettings.DefaultHealthCheckTimeoutMilliseconds);
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(
            serviceKey is null ? HealthCheckName : $"{HealthCheckName}_{serviceKey}",
            services => new MongoDBHealthCheck(services.GetRequiredKeyedService<IMongoClient>(serviceKey), url.DatabaseName ?? "admin", timeout, srv),
            failureStatus: null,
            tags: null,
            timeout: timeout));
    }

    private static MongoDBSettings ReadSettings(
        IConfiguration configuration, string connectionName, Action<MongoDBSettings>? configureSettings)
    {
        var settings = new MongoDBSettings();
        configuration.GetSection(DefaultConfigSectionName).Bind(settings);
        configuration.GetSection($"{DefaultConfigSectionName}:{connectionName}").Bind(settings);

        if (configuration.GetConnectionString(connectionName) is { } connectionString)
        {
            settings.ConnectionString = connectionString;
        }

        configureSettings?.Invoke(settings);
        return settings;
    }

    private static MongoClient CreateClient(
        IServiceProvider services,
        MongoUrl url,
        MongoDBSrvOptions? srv,
        MongoDBSettings settings,
        Action<MongoClientSettings>? configureClientSettings)
    {
        var clientSettings = srv?.SettingsFor(url, services.GetService<ILoggerFactory>()?.CreateLogger(typeof(MongoDBSrvOptions).FullName!)
                ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance)
            ?? MongoClientSettings.FromUrl(url);
        if (settings.ConnectionString?.Contains("serverSelectionTimeoutMS=", StringComparison.OrdinalIgnoreCase) != true)
        {
            // The driver waits 30 s for a server by default; a web request should fail fast instead.
            clientSettings.ServerSelectionTimeout = MongoDBSettings.DefaultServerSelectionTimeout;
        }

        clientSettings.ApplicationName ??= services.GetService<IHostEnvironment>()?.ApplicationName;
        clientSettings.LibraryInfo ??= new LibraryInfo("Books.MongoDB.Driver", typeof(AspireMongoDBDriverExtensions).Assembly.GetName().Version?.ToString() ?? "0");
        clientSettings.LoggingSettings ??= new LoggingSettings(services.GetService<ILoggerFactory>());

        // Query text can carry personal data, so spans leave it out (QueryTextMaxLength 0).
        clientSettings.TracingOptions = new TracingOptions { Disabled = settings.DisableTracing, QueryTextMaxLength = 0 };

        configureClientSettings?.Invoke(clientSettings);
        return new MongoClient(clientSettings);
    }
}
