using System.Net.Sockets;
using Aspire.Hosting.MongoDB;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Books.Tests.Integrations.MongoDBHosting;

/// <summary>The AppHost's MongoDB health check, against servers that misbehave.</summary>
public sealed class MongoDBResourceHealthCheckTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(1);

    private sealed class FixedConnection(string connectionString) : Resource("fixed"), IResourceWithConnectionString
    {
        public ReferenceExpression ConnectionStringExpression { get; } = ReferenceExpression.Create($"{connectionString}");
    }

    private static (MongoDBResourceHealthCheck Check, HealthCheckContext Context) Create(string connectionString, MongoDBHealthCheckClients clients)
    {
        var server = new MongoDBExecutableResource("mongo", "/usr/bin/mongod", Path.GetTempPath());
        var check = new MongoDBResourceHealthCheck(new FixedConnection(connectionString), server, "admin", s_timeout, clients);
        var context = new HealthCheckContext
        {
            Registration = new HealthCheckRegistration("mongo_check", check, HealthStatus.Unhealthy, tags: null),
        };
        return (check, context);
    }

    [Fact]
    public async Task Silent_server_is_unhealthy_within_the_timeout()
    {
        // Accepts connections and never answers: the worst case for a probe.
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var port = ((IPEndPoint)silent.LocalEndpoint).Port;
        using var clients = new MongoDBHealthCheckClients();
        var (check, context) = Create($"mongodb://127.0.0.1:{port}/", clients);

        var stopwatch = Stopwatch.StartNew();
        var result = await check.CheckHealthAsync(context, TestContext.Current.CancellationToken);
        stopwatch.Stop();

        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        // The driver alone would wait 30 s (server selection); the bound is the check's own timeout.
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(10), $"took {stopwatch.Elapsed}");
    }

    [Fact]
    public async Task Concurrent_probes_share_one_client()
    {
        var clients = new MongoDBHealthCheckClients();
        var (check, context) = Create("mongodb://127.0.0.1:9/", clients);

        var results = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ =>
            check.CheckHealthAsync(context, TestContext.Current.CancellationToken)));

        Assert.All(results, r => Assert.Equal(HealthStatus.Unhealthy, r.Status));
        Assert.Equal(1, clients.Count);

        clients.Dispose();

        Assert.Equal(0, clients.Count);
        Assert.Throws<ObjectDisposedException>(() => clients.Get("mongodb://127.0.0.1:9/", s_timeout));
    }

    [Fact]
    public async Task Apphost_disposes_the_probe_clients()
    {
        var builder = DistributedApplication.CreateBuilder(new DistributedApplicationOptions { DisableDashboard = true });
        builder.AddMongoDB("mongo").AddDatabase("booksdb");
        var app = builder.Build();
        var clients = app.Services.GetRequiredService<MongoDBHealthCheckClients>();
        Assert.Same(clients, app.Services.GetRequiredService<MongoDBHealthCheckClients>());
        clients.Get("mongodb://127.0.0.1:9/", s_timeout);

        await app.DisposeAsync();

        Assert.Equal(0, clients.Count);
        Assert.Throws<ObjectDisposedException>(() => clients.Get("mongodb://127.0.0.1:9/", s_timeout));
    }
}
