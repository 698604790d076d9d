using System.Collections.Concurrent;

namespace Books.Tests.Infrastructure;

/// <summary>
/// What the deployment tests' clients do through the proxy while replicas are replaced: reads by id and of a listing
/// page (nine requests in ten), and writes of the client's own books: creates, merge patches, full replacements and
/// deletes. Each client remembers what it was told it stored, so a book lost, changed wrongly or back after its delete
/// shows afterwards. Anything but a 2xx is a failure. <see cref="Start"/> runs <see cref="Clients"/> of them until
/// <see cref="StopAsync"/>.
/// </summary>
public sealed class DeploymentLoad(HttpClient client)
{
    public const int Clients = 32;
    public static readonly TimeSpan MinimumDuration = TimeSpan.FromSeconds(30);

    private readonly List<string> _seeded = [];
    private readonly ConcurrentDictionary<string, int> _byStatus = new();

    /// <summary>Each acknowledged book and the summary it was last acknowledged with (null: none).</summary>
    private readonly ConcurrentDictionary<string, string?> _expected = new();
    /// <summary>Books whose delete was acknowledged: they must stay gone.</summary>
    private readonly ConcurrentBag<string> _deleted = [];
    /// <summary>Books a failed write may or may not have changed (or deleted): not checked.</summary>
    private readonly ConcurrentBag<string> _uncertain = [];
    private readonly ConcurrentDictionary<string, int> _writes = new();
    private readonly Stopwatch _running = new();
    private CancellationTokenSource? _stop;
    private Task[] _clients = [];

    public ConcurrentQueue<string> Failures { get; } = new();
    public int Total => _byStatus.Values.Sum();
    public TimeSpan Elapsed => _running.Elapsed;

    public async Task SeedAsync(int count, CancellationToken cancellationToken)
    {
        for (var i = 0; i < count; i++)
        {
            _seeded.Add((await client.CreateAsync(TestBooks.Body(), cancellationToken)).Id());
        }
    }

    /// <summary>Starts <see cref="Clients"/> clients, each looping until <see cref="StopAsync"/>.</summary>
    public void Start()
    {
        _stop = new CancellationTokenSource();
        _running.Start();
        _clients = [.. Enumerable.Range(0, Clients).Select(_ => Task.Run(() => RunAsync(_stop.Token)))];
    }

    /// <summary>Stops the clients; the requests under way complete and count. Bounded: a client stuck for a minute throws.</summary>
    public async Task StopAsync()
    {
        if (_stop is null)
        {
            return;
        }

        await _stop.CancelAsync();
        await Task.WhenAll(_clients).WaitAsync(TimeSpan.FromSeconds(60), CancellationToken.None);
        _running.Stop();
        _stop.Dispose();
        _stop = null;
    }

    private async Task RunAsync(CancellationToken stop)
    {
        var own = new List<string>();
        while (!stop.IsCancellationRequested)
        {
            var pick = Random.Shared.Next(100);
            var target = pick >= 94 && own.Count > 0 ? own[Random.Shared.Next(own.Count)] : null;
            var summary = Guid.NewGuid().ToString("N");
            using var request = pick switch
            {
                < 70 => new HttpRequestMessage(HttpMethod.Get, $"/api/books/{_seeded[Random.Shared.Next(_seeded.Count)]}"),
                < 90 => new HttpRequestMessage(HttpMethod.Get, "/api/books?limit=10"),
                < 94 => new HttpRequestMessage(HttpMethod.Post, "/api/books") { Content = JsonContent.Create(TestBooks.Body()) },
                _ when target is null => new HttpRequestMessage(HttpMethod.Post, "/api/books") { Content = JsonContent.Create(TestBooks.Body()) },
                < 97 => TestBooks.Write("PATCH", target, patch: $$"""{ "summary": "{{summary}}" }"""),
                < 99 => TestBooks.Write("PUT", target, putBody: new Dictionary<string, object?>(TestBooks.Body()) { ["summary"] = summary }),
                _ => TestBooks.Write("DELETE", target),
            };
            try
            {
                using var response = await client.SendAsync(request, CancellationToken.None);
                _byStatus.AddOrUpdate($"{(int)response.StatusCode}", 1, (_, n) => n + 1);
                if (!response.IsSuccessStatusCode)
                {
                    Failures.Enqueue($"{request.Method} {request.RequestUri}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(CancellationToken.None)}");
                    Uncertain(target, own);
                }
                else if (request.Method == HttpMethod.Post)
                {
                    var id = (await response.Content.ReadFromJsonAsync<JsonElement>(CancellationToken.None)).Id();
                    own.Add(id);
                    _expected[id] = null;
                    Acknowledged(request.Method);
                }
                else if (target is not null && request.Method == HttpMethod.Delete)
                {
                    own.Remove(target);
                    _expected.TryRemove(target, out _);
                    _deleted.Add(target);
                    Acknowledged(request.Method);
                }
                else if (target is not null)
                {
                    _expected[target] = summary;
                    Acknowledged(request.Method);
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException)
            {
                _byStatus.AddOrUpdate("exception", 1, (_, n) => n + 1);
                Failures.Enqueue($"{request.Method} {request.RequestUri}: {ex.GetType().Name}: {ex.Message}");
                Uncertain(target, own);
            }
        }
    }

    private void Acknowledged(HttpMethod method) => _writes.AddOrUpdate(method.Method, 1, (_, n) => n + 1);

    /// <summary>A write that failed may or may not have been applied: its book is no longer checked, nor written again.</summary>
    private void Uncertain(string? target, List<string> own)
    {
        if (target is not null)
        {
            _uncertain.Add(target);
            own.Remove(target);
        }
    }

    /// <summary>
    /// The acknowledged books that cannot be read back or whose summary is not the one last acknowledged, and the books
    /// whose acknowledged delete did not hold.
    /// </summary>
    public async Task<List<string>> LostOrChangedAsync(CancellationToken cancellationToken)
    {
        var wrong = new List<string>();
        foreach (var (id, summary) in _expected.Where(book => !_uncertain.Contains(book.Key)))
        {
            using var response = await client.GetAsync($"/api/books/{id}", cancellationToken);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                wrong.Add($"{id}: {(int)response.StatusCode}");
                continue;
            }

            var stored = (await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken)).GetProperty("summary");
            var actual = stored.ValueKind == JsonValueKind.Null ? null : stored.GetString();
            if (actual != summary)
            {
                wrong.Add($"{id}: summary '{actual}', last acknowledged '{summary}'");
            }
        }

        foreach (var id in _deleted)
        {
            using var response = await client.GetAsync($"/api/books/{id}", cancellationToken);
            if (response.StatusCode != HttpStatusCode.NotFound)
            {
                wrong.Add($"{id}: deleted, then {(int)response.StatusCode}");
            }
        }

        return wrong;
    }

    /// <summary>The totals of a run, for its report: requests by status, failures, acknowledged writes by method.</summary>
    public string Summary() =>
        $"{Clients} clients for {Elapsed.TotalSeconds:0} s: {Total} requests, by status {string.Join(", ", _byStatus.OrderBy(s => s.Key).Select(s => $"{s.Key}: {s.Value}"))}, " +
        $"{Failures.Count} failed; acknowledged writes {string.Join(", ", _writes.OrderBy(w => w.Key).Select(w => $"{w.Key} {w.Value}"))}";
}
