using Aspire.MongoDB.Driver;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace Books.Tests.Integrations;

/// <summary>
/// The calls Books makes on the MongoDB integrations, written with the official packages' names: each method, each
/// parameter by its official name, each settings property (Aspire.Hosting.MongoDB 13.x's public API file,
/// <c>src/Aspire.Hosting.MongoDB/api/Aspire.Hosting.MongoDB.cs</c> in microsoft/aspire, and Aspire.MongoDB.Driver's
/// <c>AddMongoDBClient</c>, <c>AddKeyedMongoDBClient</c> and <c>MongoDBSettings</c>). This file compiles only while
/// ours keeps those shapes, so a rename or a renamed parameter fails the build, and the swap to the official packages
/// stays a change of references. (The one shape that differs on purpose, <c>AddMongoDB</c> returning the server
/// interface rather than <c>MongoDBServerResource</c>, is why the results are held in <c>var</c>.)
/// </summary>
public sealed class OfficialApiShapeTests
{
    [Fact]
    public void Hosting_calls_have_official_names()
    {
        var builder = DistributedApplication.CreateBuilder(new DistributedApplicationOptions { Args = ["MONGOD_PATH="], DisableDashboard = true });
        var userName = builder.AddParameter("mongo-user");
        var password = builder.AddParameter("mongo-secret", secret: true);

        var mongo = builder.AddMongoDB(name: "mongo", port: null, userName: userName, password: password)
            .WithDataVolume(name: null, isReadOnly: false)
            .WithReplicaSet(replicaSetName: "rs0");
        var second = builder.AddMongoDB(name: "second", port: 27018)
            .WithDataBindMount(source: Path.GetTempPath(), isReadOnly: false)
            .WithInitFiles(source: Path.GetTempPath());
        IResourceBuilder<MongoDBDatabaseResource> booksdb = mongo.AddDatabase(name: "booksdb", databaseName: "books");

        Assert.Equal("books", booksdb.Resource.DatabaseName);
        Assert.Same(mongo.Resource, booksdb.Resource.Parent);
        Assert.Equal("rs0", mongo.Resource.ReplicaSetName);
        Assert.IsType<MongoDBServerResource>(second.Resource); // no MONGOD_PATH: the container, as the official one
    }

    [Fact]
    public void Client_calls_have_official_names()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:booksdb"] = "mongodb://localhost:27017/booksdb",
            ["ConnectionStrings:audit"] = "mongodb://localhost:27017/audit",
        });
        var configured = new List<string>();

        builder.AddMongoDBClient(
            connectionName: "booksdb",
            configureSettings: (MongoDBSettings settings) =>
            {
                settings.DisableHealthChecks = false;
                settings.HealthCheckTimeout = 3_000;
                settings.DisableTracing = false;
                configured.Add(settings.ConnectionString!);
            },
            configureClientSettings: (MongoClientSettings client) => configured.Add(client.ApplicationName ?? "client"));
        builder.AddKeyedMongoDBClient(name: "audit", configureSettings: settings => configured.Add(settings.ConnectionString!), configureClientSettings: null);
        using var host = builder.Build();

        Assert.NotNull(host.Services.GetRequiredService<IMongoClient>());
        Assert.NotNull(host.Services.GetRequiredKeyedService<IMongoClient>("audit"));
        Assert.Equal(["mongodb://localhost:27017/booksdb", "mongodb://localhost:27017/audit"], configured.Take(2));
    }
}
