using System.Collections.Concurrent;

namespace Books.Tests.Infrastructure;

/// <summary>
/// What the deployment tests' clients do through the proxy while replicas are replaced: reads by id and of a listing
/// page, creates, and merge patches of the client's own books (one request in ten is a write). Each client remembers
/// what it was told it stored, so a book lost or changed wrongly shows afterwards. Anything but a 2xx is a failure.
/// </summary>
public sealed class DeploymentLoad(HttpClient client)
{
    public const int Clients = 32;
    public static readonly TimeSpan MinimumDuration = TimeSpan.FromSeconds(30);

    private readonly List<string> _seeded = [];
    private readonly ConcurrentDictionary<string, int> _byStatus = new();

    /// <summary>Each acknowledged book and the summary it was last acknowledged with (null: none yet).</summary>
    private readonly ConcurrentDictionary<string, string?> _expected = new();
    /// <summary>Books a failed PATCH may or may not have changed: their summary is not checked.</summary>
    private readonly ConcurrentBag<string> _uncertain = [];
    private int _created;
    private int _patched;

    public ConcurrentQueue<string> Failures { get; } = new();
    public int Total => _byStatus.Values.Sum();
    public int Created => _created;
    public int Patched => _patched;

    public async Task SeedAsync(int count, CancellationToken cancellationToken)
    {
        for (var i = 0; i < count; i++)
        {
            _seeded.Add((await client.CreateAsync(TestBooks.Body(), cancellationToken)).Id());
        }
    }

    /// <summary>One client's loop, until <paramref name="stop"/>; a request under way then still completes and counts.</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        var own = new List<string>();
        while (!stop.IsCancellationRequested)
        {
            var pick = Random.Shared.Next(100);
            var patching = pick >= 95 && own.Count > 0 ? own[Random.Shared.Next(own.Count)] : null;
            var summary = Guid.NewGuid().ToString("N");
            using var request = pick switch
            {
                < 70 => new HttpRequestMessage(HttpMethod.Get, $"/api/books/{_seeded[Random.Shared.Next(_seeded.Count)]}"),
                < 90 => new HttpRequestMessage(HttpMethod.Get, "/api/books?limit=10"),
                _ when patching is not null => TestBooks.Write("PATCH", patching, patch: $$"""{ "summary": "{{summary}}" }"""),
                _ => new HttpRequestMessage(HttpMethod.Post, "/api/books") { Content = JsonContent.Create(TestBooks.Body()) },
            };
            try
            {
                using var response = await client.SendAsync(request, CancellationToken.None);
                _byStatus.AddOrUpdate($"{(int)response.StatusCode}", 1, (_, n) => n + 1);
                if (!response.IsSuccessStatusCode)
                {
                    Failures.Enqueue($"{request.Method} {request.RequestUri}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(CancellationToken.None)}");
                    if (patching is not null)
                    {
                        _uncertain.Add(patching); // it may or may not have been applied
                    }
                }
                else if (response.StatusCode == HttpStatusCode.Created)
                {
                    var id = (await response.Content.ReadFromJsonAsync<JsonElement>(CancellationToken.None)).Id();
                    own.Add(id);
                    _expected[id] = null;
                    Interlocked.Increment(ref _created);
                }
                else if (patching is not null)
                {
                    _expected[patching] = summary;
                    Interlocked.Increment(ref _patched);
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException)
            {
                _byStatus.AddOrUpdate("exception", 1, (_, n) => n + 1);
                Failures.Enqueue($"{request.Method} {request.RequestUri}: {ex.GetType().Name}: {ex.Message}");
                if (patching is not null)
                {
                    _uncertain.Add(patching);
                }
            }
        }
    }

    /// <summary>The acknowledged books that cannot be read back, or whose summary is not the one last acknowledged.</summary>
    public async Task<List<string>> LostOrChangedAsync(CancellationToken cancellationToken)
    {
        var wrong = new List<string>();
        foreach (var (id, summary) in _expected)
        {
            using var response = await client.GetAsync($"/api/books/{id}", cancellationToken);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                wrong.Add($"{id}: {(int)response.StatusCode}");
                continue;
            }

            var stored = (await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken)).GetProperty("summary");
            var actual = stored.ValueKind == JsonValueKind.Null ? null : stored.GetString();
            if (actual != summary && !_uncertain.Contains(id))
            {
                wrong.Add($"{id}: summary '{actual}', last acknowledged '{summary}'");
            }
        }

        return wrong;
    }

    public string Summary() =>
        $"{Total} requests, by status {string.Join(", ", _byStatus.OrderBy(s => s.Key).Select(s => $"{s.Key}: {s.Value}"))}, {Failures.Count} failed";
}
