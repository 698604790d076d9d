using System.Text.Json.Nodes;

namespace Books.Tests.Contract;

/// <summary>The build writes the OpenAPI document into Books.Api/OpenApi/Books.Api.json, which is checked in, so a
/// contract change shows in review; this fails when the running books-api serves anything else.</summary>
[Collection(BooksAppCollection.Name)]
public sealed class CheckedInDocumentTests(BooksAppFixture fixture)
{
    [Fact]
    public async Task Books_api_serves_the_checked_in_document()
    {
        using var api = fixture.CreateApiClient(authorized: false);
        await CheckedInDocument.AssertServedByAsync(api);
    }
}

/// <summary>The same check in this process: quick, so the mutation run (tools/mutation) can use it, and every
/// summary, description and response of the endpoints' metadata is held to the checked-in contract.</summary>
[Collection(MongodStandInCollection.Name)]
public sealed class InProcessDocumentTests(MongodStandInFixture mongod)
{
    [Fact]
    public async Task Books_api_in_process_serves_the_checked_in_document()
    {
        await using var host = BooksApiHost.Create(mongod.NewDatabase());
        using var api = host.CreateClient();
        await CheckedInDocument.AssertServedByAsync(api);
    }
}

internal static class CheckedInDocument
{
    public static async Task AssertServedByAsync(HttpClient api)
    {
        var served = JsonNode.Parse(await api.GetStringAsync("/openapi/v1.json", TestContext.Current.CancellationToken))!.AsObject();
        var checkedIn = JsonNode.Parse(await File.ReadAllTextAsync(ContractTools.CheckedInDocument, TestContext.Current.CancellationToken))!.AsObject();

        // The one part that depends on where the document is served from: the server's own address.
        var servers = served["servers"]!.AsArray().Select(s => s!["url"]!.GetValue<string>()).ToList();
        Assert.Equal("/", Assert.Single(servers)); // relative: the server the document came from, never a Host header
        served.Remove("servers");
        checkedIn.Remove("servers");

        Assert.True(JsonNode.DeepEquals(served, checkedIn),
            $"The served document differs from {ContractTools.CheckedInDocument} at {FirstDifference(served, checkedIn, "$")}. " +
            "Build Books.Api to regenerate it, then review and commit the change.");
    }

    private static string FirstDifference(JsonNode? a, JsonNode? b, string path)
    {
        if (a is JsonObject oa && b is JsonObject ob)
        {
            foreach (var key in oa.Select(p => p.Key).Union(ob.Select(p => p.Key)))
            {
                if (!JsonNode.DeepEquals(oa[key], ob[key]))
                {
                    return FirstDifference(oa[key], ob[key], $"{path}.{key}");
                }
            }
        }
        else if (a is JsonArray aa && b is JsonArray ab && aa.Count == ab.Count)
        {
            for (var i = 0; i < aa.Count; i++)
            {
                if (!JsonNode.DeepEquals(aa[i], ab[i]))
                {
                    return FirstDifference(aa[i], ab[i], $"{path}[{i}]");
                }
            }
        }

        return $"{path} (served {a?.ToJsonString() ?? "nothing"}, checked in {b?.ToJsonString() ?? "nothing"})";
    }
}
