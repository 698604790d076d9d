using System.Text;
using System.Text.Json.Serialization;
using Books.Api.Http;
using Books.Api.Security;

namespace Books.Tests.Hostile;

/// <summary>
/// Runs the hostile-request corpus (hostile-requests.json) against Books.Api: every request must get the
/// 4xx status its entry expects, as a problem, and the stored documents must be byte-for-byte what they
/// were before.
/// </summary>
[Collection(MongodStandInCollection.Name)]
public sealed class HostileInputTests(MongodStandInFixture mongod)
{
    private sealed record Repeat(string Prefix, string Unit, int Times, string Suffix);

    private sealed record HostileRequest(
        string Name, int Expected, string Method, string Path, string? ContentType, string? Body, string Auth,
        Repeat? Repeat = null, string? BodyBase64 = null, string? IfMatch = null, bool RejectedByServer = false);

    private static readonly JsonSerializerOptions s_options = new(JsonSerializerDefaults.Web) { UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow };

    [Fact]
    public async Task Every_hostile_request_gets_its_4xx()
    {
        var corpus = JsonSerializer.Deserialize<List<HostileRequest>>(
            await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "Hostile", "hostile-requests.json"), TestContext.Current.CancellationToken),
            s_options)!;
        Assert.True(corpus.Count >= 80, $"only {corpus.Count} hostile requests");
        Assert.All(corpus, hostile => Assert.InRange(hostile.Expected, 400, 499));

        // Rate limiting is tested elsewhere; here every request must reach validation.
        await using var api = BooksApiHost.Create(mongod.NewDatabase(), settings: new Dictionary<string, string> { [RateLimitSettings.EnabledKey] = "false" });
        api.StartOnKestrel(); // real HTTP: Kestrel, not the in-memory test server, judges raw paths and bodies
        using var writer = api.CreateWriterClient();
        var stored = new List<JsonElement>();
        for (var i = 0; i < 3; i++)
        {
            stored.Add(await writer.CreateAsync(TestBooks.Body(), TestContext.Current.CancellationToken));
        }

        var books = api.Services.GetRequiredService<IMongoDatabase>().GetCollection<BsonDocument>(BooksServiceCollectionExtensions.CollectionName);
        var before = await SnapshotAsync(books);

        using var client = api.CreateClient();
        var tokens = (await BooksApiHost.Identity.Tokens.WriterTokenAsync(TestContext.Current.CancellationToken),
            await BooksApiHost.Identity.Tokens.ReaderTokenAsync(TestContext.Current.CancellationToken));
        var outcomes = new List<(HostileRequest Request, int Status, string? MediaType, string? Title)>();
        foreach (var hostile in corpus)
        {
            using var request = Build(hostile, stored[0], tokens);
            using var response = await client.SendAsync(request, TestContext.Current.CancellationToken);
            var mediaType = response.Content.Headers.ContentType?.MediaType;
            var title = mediaType == "application/problem+json"
                ? (await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("title").GetString()
                : null;
            outcomes.Add((hostile, (int)response.StatusCode, mediaType, title));
        }

        var after = await SnapshotAsync(books);
        var byStatus = outcomes.GroupBy(o => o.Status).OrderBy(g => g.Key).Select(g => $"{g.Key}: {g.Count()}");
        // Kestrel itself refuses a few requests (a NUL in the path) before any application code runs:
        // those get a bare 400, which the corpus marks.
        var wrong = outcomes.Where(o => o.Status != o.Request.Expected
            || (o.MediaType != "application/problem+json" && !o.Request.RejectedByServer)).ToList();
        Reports.Write("hostile-corpus",
            $"hostile corpus: {corpus.Count} requests; {outcomes.Count(o => o.Status is >= 400 and < 500)} answered 4xx " +
            $"({string.Join(", ", byStatus)}); {outcomes.Count(o => o.Status >= 500)} answered 5xx; " +
            $"stored documents unchanged: {before.SequenceEqual(after, ByteArrayComparer.Instance)}");

        Assert.True(wrong.Count == 0, string.Join("\n", wrong.Select(w => $"{w.Request.Name}: {w.Status} {w.MediaType}, expected {w.Request.Expected}")));
        // Every problem is one of the catalogue's, with the catalogue's status for its title.
        var uncatalogued = outcomes.Where(o => o.Title is not null && !ProblemKinds.All.Any(kind => kind.Status == o.Status && kind.Title == o.Title)).ToList();
        Assert.True(uncatalogued.Count == 0, string.Join("\n", uncatalogued.Select(o => $"{o.Request.Name}: {o.Status} '{o.Title}' is not in BooksProblems")));
        Assert.Equal(before, after, ByteArrayComparer.Instance);
    }

    private static HttpRequestMessage Build(HostileRequest hostile, JsonElement stored, (string Writer, string Reader) tokens)
    {
        string Fill(string text) => text.Replace("{id}", stored.Id()).Replace("{isbn}", stored.GetProperty("isbn").GetString());

        var request = new HttpRequestMessage(new HttpMethod(hostile.Method), Fill(hostile.Path));
        byte[]? body = hostile switch
        {
            { BodyBase64: { } base64 } => Convert.FromBase64String(base64),
            { Repeat: { } r } => Encoding.UTF8.GetBytes(r.Prefix + string.Concat(Enumerable.Repeat(r.Unit, r.Times)) + r.Suffix),
            { Body: { } text } => Encoding.UTF8.GetBytes(Fill(text)),
            _ => null,
        };
        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.ContentType = hostile.ContentType is null ? null : MediaTypeHeaderValue.Parse(hostile.ContentType);
        }

        request.Headers.Authorization = hostile.Auth switch
        {
            "writer" => new AuthenticationHeaderValue("Bearer", tokens.Writer),
            "reader" => new AuthenticationHeaderValue("Bearer", tokens.Reader),
            "garbage" => new AuthenticationHeaderValue("Bearer", "not.a.token"),
            _ => null,
        };
        if (hostile.IfMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", hostile.IfMatch);
        }

        return request;
    }

    private static async Task<List<byte[]>> SnapshotAsync(IMongoCollection<BsonDocument> books) =>
        (await books.Find(FilterDefinition<BsonDocument>.Empty).Sort(Builders<BsonDocument>.Sort.Ascending("_id"))
            .ToListAsync(TestContext.Current.CancellationToken))
        .Select(document => document.ToBson())
        .ToList();

    private sealed class ByteArrayComparer : IEqualityComparer<byte[]>
    {
        public static readonly ByteArrayComparer Instance = new();

        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(byte[] obj) => obj.Length;
    }
}
