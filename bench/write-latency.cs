// Write latency through books-api: sequential PATCHes of one book (no inserts, so the stand-in's
// cost per insert does not grow with the run), after 100 warm-up requests; prints p50, p90 and p99.
// dotnet run bench/write-latency.cs -- <books-api base URL> <bearer token> <requests>
// The token: the dashboard's "Issue a development token" command (books-identity). Start books-api with
// Books__RateLimit__Enabled=false (or a write limit high enough for the run).
#:property PublishAot=false
using System.Diagnostics;
using System.Text;
using System.Text.Json;

var (baseUrl, token, count) = (args[0], args[1], int.Parse(args[2]));
const int warmUp = 100;
using var http = new HttpClient { BaseAddress = new Uri(baseUrl), Timeout = TimeSpan.FromSeconds(30) };
http.DefaultRequestHeaders.Authorization = new("Bearer", token);

var isbn = "978" + Random.Shared.NextInt64(100_000_000, 999_999_999);
isbn += (10 - isbn.Select((c, i) => (c - '0') * (i % 2 == 0 ? 1 : 3)).Sum() % 10) % 10;
using var created = await http.PostAsync("/api/books", new StringContent(
    $$"""{"isbn":"{{isbn}}","title":"Write latency","authors":["Bench"]}""", Encoding.UTF8, "application/json"));
created.EnsureSuccessStatusCode();
var id = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString();

var latencies = new List<double>(count);
for (var i = 0; i < warmUp + count; i++)
{
    var clock = Stopwatch.StartNew();
    using var request = new HttpRequestMessage(HttpMethod.Patch, $"/api/books/{id}")
    {
        Content = new StringContent($$"""{"title":"Write latency {{i}}"}""", Encoding.UTF8, "application/merge-patch+json"),
    };
    using var response = await http.SendAsync(request);
    response.EnsureSuccessStatusCode();
    if (i >= warmUp)
    {
        latencies.Add(clock.Elapsed.TotalMilliseconds);
    }
}

latencies.Sort();
double At(double quantile) => latencies[(int)(quantile * (latencies.Count - 1))];
Console.WriteLine($"{count} PATCHes: p50 {At(0.5):0.000} ms, p90 {At(0.9):0.000} ms, p99 {At(0.99):0.000} ms");
