using Aspire.MongoDB.Driver;
using Microsoft.Extensions.Logging.Testing;

namespace Books.Tests.Api;

/// <summary>
/// OWASP API8:2023 (security misconfiguration: error messages that expose sensitive information) and CWE-532
/// (sensitive information in log files): a MongoDB password reaches no log line, exception message, span or
/// health description of a startup or runtime failure: not whole, not any piece of it between <c>@</c>, <c>:</c>
/// and <c>/</c>, not as written, not percent-decoded.
/// </summary>
public sealed class SecretsInFailuresTests
{
    // As a user might type it into a connection string without percent-encoding: @, :, / and a literal %40.
    private const string Password = "Kq7vZx@Rm3Tw:Jh5Np/Ws9Lc%40Yb2Fd";
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    /// <summary>The password and each piece of it, as written and percent-decoded.</summary>
    private static readonly string[] s_secrets =
        [.. new[] { Password, Uri.UnescapeDataString(Password) }.SelectMany(p => p.Split('@', ':', '/').Prepend(p)).Distinct()];

    [Theory]
    [InlineData("mongodb://books:" + Password + "@127.0.0.1:27017/booksdb", "mongodb://***@127.0.0.1:27017/booksdb")]
    [InlineData("mongodb+srv://books:" + Password + "@cluster0.example.net/booksdb?retryWrites=true", "mongodb+srv://***@cluster0.example.net/booksdb?retryWrites=true")]
    [InlineData("mongodb://books:Kq7vZx%40Rm3Tw%3AJh5Np%2FWs9Lc%2540Yb2Fd@db:27017/booksdb", "mongodb://***@db:27017/booksdb")]
    [InlineData("mongodb://db:27017/booksdb", "mongodb://db:27017/booksdb")] // nothing to hide
    public void Credentials_are_redacted_from_the_scheme_to_the_last_at(string connectionString, string redacted)
    {
        Assert.Equal(redacted, MongoDBConnectionString.Redact(connectionString));
    }

    [Theory]
    [InlineData("mongodb://books:" + Password + "@127.0.0.1:27017/booksdb")]  // @, : and / unencoded: the driver refuses it
    [InlineData("mongodb://books:" + Password + "@127.0.0.1:notaport/booksdb")]
    [InlineData("mongodb://books:" + Password + "@/booksdb")]
    public void Refused_connection_string_hides_the_password(string connectionString)
    {
        var failure = Assert.ThrowsAny<Exception>(() =>
        {
            using var api = BooksApiHost.Create(connectionString);
            api.StartServer();
        });

        var text = Describe(failure);
        Assert.Contains("is not a valid MongoDB URL", text);
        Assert.Empty(Leaks(text));
    }

    [Fact]
    public async Task Runtime_failures_hide_the_password()
    {
        // The password percent-encoded, as it must be to parse; the server is not there, so every request fails.
        await using var nothingThere = new GatedTcpProxy(targetPort: 0);
        var connectionString = $"mongodb://books:{Uri.EscapeDataString(Password)}@127.0.0.1:{nothingThere.Port}/booksdb?authSource=admin&serverSelectionTimeoutMS=1500";
        var spans = new List<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = _ => true,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity => { lock (spans) { spans.Add(activity); } },
        };
        ActivitySource.AddActivityListener(listener);
        await using var api = BooksApiHost.Create(connectionString, services => services.AddLogging(logging => logging
            .SetMinimumLevel(LogLevel.Trace)
            .AddFakeLogging()));
        using var client = api.CreateWriterClient();

        using var read = await client.GetAsync("/api/books?tag=x", Cancellation);
        using var write = await client.PostAsJsonAsync("/api/books", TestBooks.Body(), Cancellation);
        using var health = await client.GetAsync("/health", Cancellation);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, read.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, write.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        var logs = api.Services.GetRequiredService<FakeLogCollector>().GetSnapshot();
        Assert.NotEmpty(logs);
        List<Activity> recorded;
        lock (spans)
        {
            recorded = [.. spans];
        }

        Assert.Contains(recorded, span => span.Source.Name.StartsWith("MongoDB", StringComparison.Ordinal)); // the driver's spans were seen
        var places = new Dictionary<string, string>
        {
            ["logs"] = string.Join('\n', logs.Select(log => $"{log.Message} {Describe(log.Exception)} {string.Join(' ', log.StructuredState ?? [])}")),
            ["spans"] = string.Join('\n', recorded.Select(span =>
                $"{span.DisplayName} {span.StatusDescription} {string.Join(' ', span.TagObjects.Select(t => $"{t.Key}={t.Value}"))} " +
                string.Join(' ', span.Events.SelectMany(e => e.Tags.Select(t => $"{t.Key}={t.Value}"))))),
            ["health"] = await health.Content.ReadAsStringAsync(Cancellation),
            ["problems"] = await read.Content.ReadAsStringAsync(Cancellation) + await write.Content.ReadAsStringAsync(Cancellation),
        };
        Assert.All(places, place => Assert.True(Leaks(place.Value).Count == 0, $"{place.Key} hold {string.Join(", ", Leaks(place.Value))}"));
    }

    private static List<string> Leaks(string text) =>
        [.. s_secrets.Where(secret => text.Contains(secret, StringComparison.Ordinal))];

    private static string Describe(Exception? exception) => exception is null ? "" : exception.ToString();
}
