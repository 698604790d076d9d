using System.Net.Sockets;

namespace Books.Tests.Integrations.MongoDBHosting;

/// <summary>
/// <c>WithLifetime(ContainerLifetime.Persistent)</c> for real: the next AppHost run reuses the running
/// container, and the resource must turn healthy again. Upstream (microsoft/aspire#17961, open) the health
/// check reads the connection string from an event that does not fire for a reused container, so it stays
/// Unhealthy for ever; here it resolves the connection string on every probe.
/// </summary>
[Collection(ExclusiveCollection.Name)]
public sealed class PersistentContainerTests
{
    private static readonly TimeSpan s_runTimeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task Reused_persistent_container_turns_healthy()
    {
        ContainerEngine.Require(await ContainerEngine.UnavailableReasonAsync());
        var image = await ContainerEngine.StandInImageAsync();
        var name = $"books-tests-persistent-{Guid.NewGuid():N}";
        // The same password on both runs, as user secrets keep it for a developer: a changed one would make
        // DCP replace the container instead of reusing it.
        string[] args = [$"{MongoDBBuilderExtensions.MongodPathKey}=", $"Parameters:mongo-password={Guid.NewGuid():N}"];
        // And the same host port: DCP keys a persistent container on its spec, and a port the orchestrator picks
        // afresh each run would change it (measured: a new container on each run without this).
        var port = FreeLoopbackPort();
        try
        {
            var first = await RunUntilHealthyAsync(args, image, name, port);
            var second = await RunUntilHealthyAsync(args, image, name, port);

            Assert.Equal(first, second); // the same container: reused, not recreated
        }
        finally
        {
            // A persistent container outlives its AppHost by design; the test leaves neither it, nor its volume, nor the
            // persistent network DCP made for it behind.
            var networks = await ContainerEngine.TryRunAsync("inspect", "--format", "{{range $name, $_ := .NetworkSettings.Networks}}{{$name}} {{end}}", name);
            await ContainerEngine.TryRunAsync("rm", "--force", "--volumes", name);
            await ContainerEngine.TryRunAsync("volume", "rm", "--force", name);
            foreach (var network in networks.Output.Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(n => n.StartsWith("aspire-persistent-network-", StringComparison.Ordinal)))
            {
                await ContainerEngine.TryRunAsync("network", "rm", network);
            }
        }
    }

    /// <summary>Starts an AppHost with the persistent container, waits until its database is healthy, stops the AppHost; returns the container's id.</summary>
    private static async Task<string> RunUntilHealthyAsync(string[] args, string image, string name, int port)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(s_runTimeout);
        var (repository, tag) = (image.Split(':')[0], image.Split(':')[1]);

        // Books.AppHost's assembly carries the orchestrator's (DCP's) location; this app model is the test's own.
        var builder = DistributedApplication.CreateBuilder(new DistributedApplicationOptions
        {
            Args = args,
            DisableDashboard = true,
            AssemblyName = "Books.AppHost",
        });
        builder.AddMongoDB("mongo", port)
            .WithLifetime(ContainerLifetime.Persistent)
            .WithImage(repository, tag)
            .WithImageRegistry(null)
            .WithContainerName(name)
            .WithDataVolume(name)
            .AddDatabase("booksdb");
        await using var app = builder.Build();
        await app.StartAsync(timeout.Token);

        await app.ResourceNotifications.WaitForResourceHealthyAsync("booksdb", timeout.Token);

        var id = (await ContainerEngine.RunAsync("inspect", "--format", "{{.Id}}", name)).Trim();
        await app.StopAsync(timeout.Token);
        return id;
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
