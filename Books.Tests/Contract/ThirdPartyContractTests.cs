using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Books.Tests.Contract;

/// <summary>
/// Standard tools read the checked-in OpenAPI document as a stranger's would: two linters, and contract
/// tests that Portman generates from it and Newman runs against a books-api over real HTTP.
/// </summary>
[Collection(MongodStandInCollection.Name)]
public sealed class ThirdPartyContractTests(MongodStandInFixture mongod)
{
    [Fact]
    public async Task Redocly_finds_no_problem()
    {
        var result = await ContractTools.RunAsync("redocly", "lint", ContractTools.CheckedInDocument, "--format=json");

        var report = JsonDocument.Parse(JsonPart(result.Text)).RootElement;
        var totals = report.GetProperty("totals");
        var problems = report.GetProperty("problems").EnumerateArray()
            .Select(p => $"{p.GetProperty("severity").GetString()} {p.GetProperty("ruleId").GetString()}: {p.GetProperty("message").GetString()}").ToList();
        Reports.Write("contract-redocly", $"redocly lint (recommended): {totals.GetProperty("errors").GetInt32()} errors, {totals.GetProperty("warnings").GetInt32()} warnings");
        Assert.True(problems.Count == 0, string.Join('\n', problems));
        Assert.Equal(0, result.ExitCode);
    }

    [Fact]
    public async Task Spectral_oas_rules_find_no_problem()
    {
        var result = await ContractTools.RunAsync("spectral", "lint", ContractTools.CheckedInDocument, "--format", "json", "--quiet");

        var problems = JsonDocument.Parse(JsonPart(result.Text, '[')).RootElement.EnumerateArray()
            .Select(p => $"{p.GetProperty("code").GetString()}: {p.GetProperty("message").GetString()} at {string.Join('.', p.GetProperty("path").EnumerateArray())}").ToList();
        Reports.Write("contract-spectral", $"spectral lint (spectral:oas): {problems.Count} problems");
        Assert.True(problems.Count == 0, string.Join('\n', problems));
        Assert.Equal(0, result.ExitCode);
    }

    [Fact]
    public async Task Portman_contract_tests_pass()
    {
        await using var api = BooksApiHost.Create(mongod.NewDatabase());
        api.StartOnKestrel();
        var baseUrl = api.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var work = Directory.CreateTempSubdirectory("books-contract-");
        try
        {
            var collection = Path.Combine(work.FullName, "collection.json");
            var results = Path.Combine(work.FullName, "newman.json");
            var generated = await ContractTools.RunAsync(
                "portman", "--local", ContractTools.CheckedInDocument, "--portmanConfigFile", "portman-config.json",
                "--baseUrl", "{{baseUrl}}", "--output", collection);
            Assert.True(generated.ExitCode == 0, generated.Text + generated.Error);

            await ContractTools.RunAsync(
                "newman", "run", collection, "--env-var", $"baseUrl={baseUrl}",
                "--env-var", $"bearerToken={await BooksApiHost.Identity.Tokens.TokenAsync(TestClients.Admin, cancellationToken: TestContext.Current.CancellationToken)}",
                "--reporters", "json", "--reporter-json-export", results);

            var run = JsonDocument.Parse(File.ReadAllText(results)).RootElement.GetProperty("run");
            var assertions = run.GetProperty("stats").GetProperty("assertions");
            var (total, failed) = (assertions.GetProperty("total").GetInt32(), assertions.GetProperty("failed").GetInt32());
            var answered = run.GetProperty("executions").EnumerateArray()
                .Select(e => $"{e.GetProperty("item").GetProperty("name").GetString()}: {e.GetProperty("response").GetProperty("code").GetInt32()}").ToList();
            var failures = run.GetProperty("failures").EnumerateArray()
                .Select(f => $"{f.GetProperty("source").GetProperty("name").GetString()}: {f.GetProperty("error").GetProperty("message").GetString()}").ToList();
            Reports.Write("contract-newman",
                $"portman + newman: {answered.Count} requests, {total} assertions, {failed} failed\n  {string.Join("\n  ", answered)}");

            Assert.True(failures.Count == 0, string.Join('\n', failures));
            Assert.Equal(0, failed);
            // Every operation's contract, and the negative variations, ran.
            foreach (var expected in new[] { "Add a book: 201", "Delete a book: 204", "Add a book[Invalid book]: 400",
                "Add a book[No token]: 401", "Get a book by id[Unknown id]: 404", "Replace a book[Stale ETag]: 412",
                "Replace a book[Invalid book]: 400", "Load the sample books: 200" })
            {
                Assert.Contains(expected, answered);
            }
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    // The tools print banners around their JSON (Redocly's Node.js notice, for one).
    private static string JsonPart(string output, char start = '{') =>
        output[output.IndexOf(start, StringComparison.Ordinal)..(output.LastIndexOf(start == '{' ? '}' : ']') + 1)];
}
