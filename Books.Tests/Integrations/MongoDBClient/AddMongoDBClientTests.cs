using System.Collections.Concurrent;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Aspire.MongoDB.Driver;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using MongoDB.Driver.Core.Configuration;
using OpenTelemetry;
using OpenTelemetry.Trace;

namespace Books.Tests.Integrations.MongoDBClient;

/// <summary>The client integration's registration and fail-fast behaviour, in a bare host.</summary>
public sealed class AddMongoDBClientTests
{
    private static HostApplicationBuilder CreateBuilder(params (string Key, string? Value)[] settings)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(settings.Select(s => KeyValuePair.Create(s.Key, s.Value)));
        return builder;
    }

    [Fact]
    public void Missing_connection_string_names_the_keys()
    {
        var builder = CreateBuilder();

        var error = Assert.Throws<InvalidOperationException>(() => builder.AddMongoDBClient("booksdb"));

        Assert.Contains("ConnectionStrings:booksdb", error.Message);
        Assert.Contains("ConnectionStrings__booksdb", error.Message);
    }

    [Theory]
    [InlineData("not a url")]
    [InlineData("http://localhost:27017/booksdb")]
    [InlineData("mongodb://localhost:notaport/booksdb")]
    public void Malformed_connection_string_fails_naming_the_key(string connectionString)
    {
        var builder = CreateBuilder(("ConnectionStrings:booksdb", connectionString));

        var error = Assert.Throws<InvalidOperationException>(() => builder.AddMongoDBClient("booksdb"));

        Assert.Contains("'ConnectionStrings:booksdb' is not a valid MongoDB URL", error.Message);
    }

    [Fact]
    public void Malformed_connection_string_hides_the_password()
    {
        var builder = CreateBuilder(("ConnectionStrings:booksdb", "mongodb://admin:s3cr3t-Pa55@localhost:notaport/booksdb"));

        var error = Assert.Throws<InvalidOperationException>(() => builder.AddMongoDBClient("booksdb"));

        Assert.DoesNotContain("s3cr3t-Pa55", error.ToString());
        Assert.Contains("mongodb://***@localhost:notaport/booksdb", error.Message); // from :// to the last @
    }

    [Fact]
    public void Registers_one_client_and_its_database()
    {
        var builder = CreateBuilder(("ConnectionStrings:booksdb", "mongodb://localhost:27017/booksdb"));
        builder.AddMongoDBClient("booksdb");

        using var host = builder.Build();

        var client = host.Services.GetRequiredService<IMongoClient>();
        Assert.Same(client, host.Services.GetRequiredService<IMongoClient>());
        var database = host.Services.GetRequiredService<IMongoDatabase>();
        Assert.Equal("booksdb", database.DatabaseNamespace.DatabaseName);
        Assert.Same(client, database.Client);
    }

    [Fact]
    public void Connection_string_wins_over_settings()
    {
        var builder = CreateBuilder(
            ("Aspire:MongoDB:Driver:ConnectionString", "mongodb://section-host/sectiondb"),
            ("ConnectionStrings:booksdb", "mongodb://localhost:27017/booksdb"));
        string? seen = null;

        builder.AddMongoDBClient("booksdb", settings =>
        {
            seen = settings.ConnectionString;
            settings.ConnectionString = "mongodb://delegate-host:27018/delegatedb";
        });
        using var host = builder.Build();

        // The delegate saw the connection string that won over the section, and its own change wins over both.
        Assert.Equal("mongodb://localhost:27017/booksdb", seen);
        var server = Assert.Single(host.Services.GetRequiredService<IMongoClient>().Settings.Servers);
        Assert.Equal(("delegate-host", 27018), (server.Host, server.Port));
        Assert.Equal("delegatedb", host.Services.GetRequiredService<IMongoDatabase>().DatabaseNamespace.DatabaseName);
    }

    [Fact]
    public void Client_query_text_stays_out_of_traces()
    {
        var builder = CreateBuilder(("ConnectionStrings:booksdb", "mongodb://localhost:27017/booksdb"));
        builder.AddMongoDBClient("booksdb");

        using var host = builder.Build();

        var settings = host.Services.GetRequiredService<IMongoClient>().Settings;
        Assert.False(settings.TracingOptions.Disabled);
        Assert.Equal(0, settings.TracingOptions.QueryTextMaxLength);
    }

    [Fact]
    public void Settings_bind_in_the_official_order()
    {
        var builder = CreateBuilder(
            ("Aspire:MongoDB:Driver:HealthCheckTimeout", "1000"),
            ("Aspire:MongoDB:Driver:DisableTracing", "true"),
            ("Aspire:MongoDB:Driver:booksdb:HealthCheckTimeout", "2000"),
            ("Aspire:MongoDB:Driver:booksdb:ConnectionString", "mongodb://named-host/nameddb"),
            ("ConnectionStrings:booksdb", "mongodb://localhost:27017/booksdb"));
        MongoDBSettingsSnapshot? seen = null;

        builder.AddMongoDBClient("booksdb", settings =>
        {
            seen = new(settings.ConnectionString, settings.HealthCheckTimeout, settings.DisableTracing);
            settings.DisableHealthChecks = true;
        });

        Assert.Equal(new MongoDBSettingsSnapshot("mongodb://localhost:27017/booksdb", 2000, true), seen);
        using var host = builder.Build();
        Assert.True(host.Services.GetRequiredService<IMongoClient>().Settings.TracingOptions.Disabled);
        Assert.Empty(host.Services.GetRequiredService<IOptions<HealthCheckServiceOptions>>().Value.Registrations);
    }

    private sealed record MongoDBSettingsSnapshot(string? ConnectionString, int? HealthCheckTimeout, bool DisableTracing);

    [Fact]
    public void Health_check_is_named_and_bounded()
    {
        var builder = CreateBuilder(("ConnectionStrings:booksdb", "mongodb://localhost:27017/booksdb"));
        builder.AddMongoDBClient("booksdb");

        using var host = builder.Build();

        var registration = Assert.Single(host.Services.GetRequiredService<IOptions<HealthCheckServiceOptions>>().Value.Registrations);
        Assert.Equal("MongoDB.Driver", registration.Name);
        Assert.Equal(TimeSpan.FromMilliseconds(MongoDBSettings.DefaultHealthCheckTimeoutMilliseconds), registration.Timeout);
    }

    [Fact]
    public void Client_settings_delegate_runs_last()
    {
        var builder = CreateBuilder(("ConnectionStrings:booksdb", "mongodb://localhost:27017/booksdb"));
        builder.AddMongoDBClient("booksdb", configureClientSettings: settings =>
            settings.TracingOptions = new TracingOptions { QueryTextMaxLength = 200 });

        using var host = builder.Build();

        Assert.Equal(200, host.Services.GetRequiredService<IMongoClient>().Settings.TracingOptions.QueryTextMaxLength);
    }

    [Fact]
    public void Keyed_clients_are_separate()
    {
        var builder = CreateBuilder(
            ("ConnectionStrings:books", "mongodb://localhost:27017/booksdb"),
            ("ConnectionStrings:audit", "mongodb://localhost:27018/auditdb"));
        builder.AddKeyedMongoDBClient("books");
        builder.AddKeyedMongoDBClient("audit");

        using var host = builder.Build();

        var books = host.Services.GetRequiredKeyedService<IMongoClient>("books");
        var audit = host.Services.GetRequiredKeyedService<IMongoClient>("audit");
        Assert.NotSame(books, audit);
        Assert.Equal("booksdb", host.Services.GetRequiredKeyedService<IMongoDatabase>("books").DatabaseNamespace.DatabaseName);
        Assert.Equal("auditdb", host.Services.GetRequiredKeyedService<IMongoDatabase>("audit").DatabaseNamespace.DatabaseName);
        Assert.Null(host.Services.GetService<IMongoClient>());
        var names = host.Services.GetRequiredService<IOptions<HealthCheckServiceOptions>>().Value.Registrations.Select(r => r.Name);
        Assert.Equal(["MongoDB.Driver_audit", "MongoDB.Driver_books"], names.Order());
    }

    [Fact]
    public void Connection_string_without_database_registers_no_database()
    {
        var builder = CreateBuilder(("ConnectionStrings:booksdb", "mongodb://localhost:27017"));
        builder.AddMongoDBClient("booksdb");

        using var host = builder.Build();

        Assert.NotNull(host.Services.GetService<IMongoClient>());
        Assert.Null(host.Services.GetService<IMongoDatabase>());
    }

    [Fact]
    public async Task Client_is_created_once()
    {
        var builder = CreateBuilder(("ConnectionStrings:booksdb", "mongodb://localhost:27017/booksdb"));
        var created = 0;
        builder.AddMongoDBClient("booksdb", configureClientSettings: _ => Interlocked.Increment(ref created));
        using var host = builder.Build();

        var resolved = await Task.WhenAll(Enumerable.Range(0, 32).Select(i => Task.Run(() =>
            i % 2 == 0 ? host.Services.GetRequiredService<IMongoClient>() : host.Services.GetRequiredService<IMongoDatabase>().Client,
            TestContext.Current.CancellationToken)));

        Assert.Equal(1, created);
        Assert.Single(resolved.Distinct());
    }

    [Fact]
    public async Task Client_is_disposed_when_the_host_stops()
    {
        var builder = CreateBuilder(("ConnectionStrings:booksdb", "mongodb://localhost:27017/booksdb"));
        builder.AddMongoDBClient("booksdb");
        var host = builder.Build();
        var client = host.Services.GetRequiredService<IMongoClient>();
        await host.StartAsync(TestContext.Current.CancellationToken);

        await host.StopAsync(TestContext.Current.CancellationToken);
        host.Dispose();

        Assert.Throws<ObjectDisposedException>(() => client.StartSession(cancellationToken: TestContext.Current.CancellationToken));
    }

    [Fact]
    public void Client_logs_through_the_host()
    {
        var builder = CreateBuilder(("ConnectionStrings:booksdb", "mongodb://localhost:27017/booksdb"));
        builder.Environment.ApplicationName = "books-api-under-test";
        builder.AddMongoDBClient("booksdb");

        using var host = builder.Build();

        var settings = host.Services.GetRequiredService<IMongoClient>().Settings;
        Assert.Equal("books-api-under-test", settings.ApplicationName);
        Assert.Equal("Books.MongoDB.Driver", settings.LibraryInfo.Name);
        Assert.Same(host.Services.GetRequiredService<ILoggerFactory>(), settings.LoggingSettings.LoggerFactory);
    }

    [Fact]
    public void Connection_string_app_name_wins()
    {
        var builder = CreateBuilder(("ConnectionStrings:booksdb", "mongodb://localhost:27017/booksdb?appName=from-url"));
        builder.AddMongoDBClient("booksdb");

        using var host = builder.Build();

        Assert.Equal("from-url", host.Services.GetRequiredService<IMongoClient>().Settings.ApplicationName);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-5")]
    public void Non_positive_health_timeout_fails(string timeout)
    {
        var builder = CreateBuilder(
            ("ConnectionStrings:booksdb", "mongodb://localhost:27017/booksdb"),
            ("Aspire:MongoDB:Driver:booksdb:HealthCheckTimeout", timeout));

        var error = Assert.Throws<InvalidOperationException>(() => builder.AddMongoDBClient("booksdb"));

        Assert.Contains("Aspire:MongoDB:Driver:booksdb:HealthCheckTimeout", error.Message);
        Assert.Contains($"is {timeout}", error.Message);
    }

    // The official client integration adds the driver's ActivitySource to the app's tracer itself, so an app
    // without these service defaults still gets MongoDB spans; DisableTracing leaves it out.
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Driver_spans_reach_the_tracer(bool disableTracing)
    {
        var builder = CreateBuilder(
            ("ConnectionStrings:booksdb", "mongodb://localhost:27017/booksdb"),
            ("Aspire:MongoDB:Driver:DisableTracing", disableTracing ? "true" : "false"));
        var ended = new ConcurrentQueue<string>();
        builder.Services.AddOpenTelemetry().WithTracing(tracing => tracing.AddProcessor(new EndedActivities(ended)));
        builder.AddMongoDBClient("booksdb");
        using var host = builder.Build();
        _ = host.Services.GetRequiredService<TracerProvider>();

        var marker = $"find {Guid.NewGuid():N}";
        using (var driver = new ActivitySource(AspireMongoDBDriverExtensions.ActivitySourceName))
        using (driver.StartActivity(marker))
        {
        }

        Assert.Equal(!disableTracing, ended.Contains(marker));
    }

    // Microsoft.Extensions.Configuration's JSON schema, as the official integrations ship it: each settings
    // property under Aspire:MongoDB:Driver, with its JSON type and a description, and nothing else.
    [Fact]
    public void Configuration_schema_describes_every_setting_with_its_type()
    {
        using var schema = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "ConfigurationSchema.json")));
        var section = AspireMongoDBDriverExtensions.DefaultConfigSectionName.Split(':')
            .Aggregate(schema.RootElement, (node, name) => node.GetProperty("properties").GetProperty(name));
        var described = section.GetProperty("properties").EnumerateObject()
            .ToDictionary(p => p.Name, p => (Type: p.Value.GetProperty("type").GetString(), Description: p.Value.GetProperty("description").GetString()));

        var settings = typeof(MongoDBSettings).GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite).ToList();

        Assert.Equal(settings.Select(p => p.Name).Order(), described.Keys.Order());
        Assert.All(settings, p =>
        {
            var type = Nullable.GetUnderlyingType(p.PropertyType) ?? p.PropertyType;
            Assert.Equal(type == typeof(string) ? "string" : type == typeof(bool) ? "boolean" : type == typeof(int) ? "integer" : type.Name, described[p.Name].Type);
            Assert.False(string.IsNullOrWhiteSpace(described[p.Name].Description), $"{p.Name} has no description.");
        });
    }

    private sealed class EndedActivities(ConcurrentQueue<string> names) : BaseProcessor<Activity>
    {
        public override void OnEnd(Activity data) => names.Enqueue(data.DisplayName);
    }
}
