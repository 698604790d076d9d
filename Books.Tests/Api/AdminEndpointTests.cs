using System.Diagnostics.Metrics;
using Books.Api.Security;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace Books.Tests.Api;

/// <summary>The operator endpoints: who may call them, and where "delete all" exists at all.</summary>
[Collection(SecondMongodStandInCollection.Name)]
public sealed class AdminEndpointTests(MongodStandInFixture mongod)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    // OWASP API5:2023 (broken function level authorization): an operator function is not open to every writer.
    // The admin operations need books.admin in every environment; books.write alone is 403 and changes nothing.
    [Theory]
    [InlineData("POST", "/api/admin/books/seed", "none", "Production", HttpStatusCode.Unauthorized)]
    [InlineData("POST", "/api/admin/books/seed", TestClients.Reader, "Production", HttpStatusCode.Forbidden)]
    [InlineData("POST", "/api/admin/books/seed", "writer", "Production", HttpStatusCode.Forbidden)]
    [InlineData("POST", "/api/admin/books/seed", "writer", "Development", HttpStatusCode.Forbidden)]
    [InlineData("POST", "/api/admin/books/seed", TestClients.Admin, "Production", HttpStatusCode.OK)]
    [InlineData("DELETE", "/api/admin/books", "none", "Development", HttpStatusCode.Unauthorized)]
    [InlineData("DELETE", "/api/admin/books", TestClients.Reader, "Development", HttpStatusCode.Forbidden)]
    [InlineData("DELETE", "/api/admin/books", "writer", "Development", HttpStatusCode.Forbidden)]
    [InlineData("DELETE", "/api/admin/books", TestClients.Admin, "Development", HttpStatusCode.OK)]
    public async Task Admin_operations_need_the_admin_scope_in_every_environment(
        string method, string path, string caller, string environment, HttpStatusCode expected)
    {
        await using var api = BooksApiHost.Create(mongod.NewDatabase(), environment: environment);
        using var writer = api.CreateWriterClient();
        await writer.CreateAsync(TestBooks.Body(), Cancellation);
        using var client = caller switch
        {
            "none" => api.CreateClient(),
            "writer" => api.CreateWriterClient(),
            _ => api.CreateClientOf(caller),
        };

        using var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path), Cancellation);

        Assert.Equal(expected, response.StatusCode);
        var page = await writer.GetFromJsonAsync<JsonElement>("/api/books?limit=2", Cancellation);
        var stored = page.GetProperty("items").GetArrayLength();
        if (expected == HttpStatusCode.OK)
        {
            var result = await response.Content.ReadFromJsonAsync<JsonElement>(Cancellation);
            Assert.Equal(method == "DELETE" ? 1 : BookSamples.Load().Count, result.GetProperty(method == "DELETE" ? "deleted" : "inserted").GetInt32());
            Assert.Equal(method == "DELETE" ? 0 : 2, stored);
        }
        else
        {
            Assert.Equal(1, stored); // refused: nothing loaded, nothing deleted
            var problem = await response.ProblemAsync(Cancellation);
            if (expected == HttpStatusCode.Forbidden)
            {
                Assert.Contains(BooksApiSettings.AdminScope, problem.GetProperty("detail").GetString());
            }
        }
    }

    [Fact]
    public async Task Delete_all_in_development_empties_the_store()
    {
        await using var api = BooksApiHost.Create(mongod.NewDatabase());
        using var writer = api.CreateAdminClient();
        using var deleted = new MetricCollector<long>(api.Services.GetRequiredService<IMeterFactory>(), BooksMetrics.MeterName, "books.deleted");
        for (var i = 0; i < 3; i++)
        {
            await writer.CreateAsync(TestBooks.Body(), Cancellation);
        }

        using var response = await writer.DeleteAsync("/api/admin/books", Cancellation);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(3, (await response.Content.ReadFromJsonAsync<JsonElement>(Cancellation)).GetProperty("deleted").GetInt64());
        Assert.Equal(3, deleted.GetMeasurementSnapshot().Sum(m => m.Value));
        var page = await writer.GetFromJsonAsync<JsonElement>("/api/books?limit=5", Cancellation);
        Assert.Equal(0, page.GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task Delete_all_does_not_exist_outside_development()
    {
        await using var api = BooksApiHost.Create(mongod.NewDatabase(), environment: "Production");
        using var writer = api.CreateWriterClient();
        await writer.CreateAsync(TestBooks.Body(), Cancellation);

        using var response = await writer.DeleteAsync("/api/admin/books", Cancellation);

        Assert.Contains(response.StatusCode, new[] { HttpStatusCode.NotFound, HttpStatusCode.MethodNotAllowed });
        var page = await writer.GetFromJsonAsync<JsonElement>("/api/books?limit=5", Cancellation);
        Assert.Equal(1, page.GetProperty("items").GetArrayLength());
    }

    [Theory]
    [InlineData("Development", true)]
    [InlineData("Production", false)]
    public async Task Development_commands_only_in_development(string environment, bool offered)
    {
        await using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Books_AppHost>(
            [$"--environment={environment}", $"MONGOD_PATH={MongodStandIn.LauncherPath}"], Cancellation);

        var commands = builder.Resources.Single(r => r.Name == "books-api").Annotations.OfType<ResourceCommandAnnotation>()
            .Select(c => c.Name).ToList();

        Assert.Equal(environment, builder.Environment.EnvironmentName);
        Assert.Contains("seed-sample-books", commands);
        Assert.Equal(offered, commands.Contains("delete-all-books"));
        Assert.Equal(offered, commands.Contains("issue-dev-token"));
    }
}
