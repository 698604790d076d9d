using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Books.Tests.Distributed;

/// <summary>
/// <c>WithReplicaSet()</c> in container mode, for real: the key file DCP writes into the container, the
/// health gate on a writable primary, and what is left once the AppHost stops. The one test owns its
/// AppHost, so it can look after the stop.
/// </summary>
[Collection(ExclusiveCollection.Name)]
public sealed class ContainerReplicaSetTests
{
    private const string KeyFile = "/etc/mongo-keyfile/keyfile";

    [Fact]
    public async Task Replica_set_is_healthy_only_as_primary()
    {
        ContainerEngine.Require(await ContainerEngine.UnavailableReasonAsync());
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(BooksAppFixture.StartTimeout);
        var fixture = new ContainerAppFixture { ReplicaSet = true };
        string container;
        try
        {
            await fixture.InitializeAsync();
            container = await fixture.MongoContainerIdAsync(timeout.Token);

            var (keyFile, _) = await fixture.MongoFileAsync(KeyFile, timeout.Token);
            Assert.Equal(UnixFileMode.UserRead, keyFile.Mode);
            Assert.Equal((999, 999), (keyFile.Uid, keyFile.Gid));

            var connectionString = await fixture.App.GetConnectionStringAsync("booksdb", timeout.Token);
            Assert.Contains("directConnection=true", connectionString);
            using var client = new MongoClient(connectionString);
            var hello = await client.GetDatabase("admin").RunCommandAsync<BsonDocument>(new BsonDocument("hello", 1), cancellationToken: timeout.Token);
            Assert.Equal("rs0", hello["setName"].AsString);
            Assert.True(hello["isWritablePrimary"].AsBoolean);

            // Unhealthy while the set was initiated but had no primary (the stand-in's member is a SECONDARY for
            // 3 s); Healthy only once it had been elected.
            var status = await client.GetDatabase("admin").RunCommandAsync<BsonDocument>(new BsonDocument("replSetGetStatus", 1), cancellationToken: timeout.Token);
            var electedAt = status["members"][0]["electionDate"].ToUniversalTime();
            var history = fixture.MongoHealthHistory.ToList();
            var firstHealthy = history.FindIndex(h => h.Status == HealthStatus.Healthy);
            Assert.True(firstHealthy > 0, string.Join(" | ", history));
            Assert.Contains(history[..firstHealthy], h => h.Status == HealthStatus.Unhealthy && h.Descriptions.Contains("Replica set 'rs0'"));
            Assert.True(history[firstHealthy].SeenAt >= electedAt, $"healthy at {history[firstHealthy].SeenAt:O}, elected at {electedAt:O}: {string.Join(" | ", history)}");
        }
        finally
        {
            await fixture.DisposeAsync();
        }

        var (exitCode, running, _) = await ContainerEngine.TryRunAsync("inspect", "--format", "{{.State.Running}}", container);
        Assert.True(exitCode != 0 || running.Trim() == "false", $"container {container} still running after the AppHost stopped");
        Assert.Empty((await ContainerEngine.RunAsync("volume", "ls", "--quiet", "--filter", $"name={fixture.VolumeName}")).Trim());
    }
}
