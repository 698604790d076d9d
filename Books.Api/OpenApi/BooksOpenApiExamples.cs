using Books.Settings;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Books.Api.Books;
using Books.Api.Http;
using Books.Api.Security;

namespace Books.Api.OpenApi;

/// <summary>
/// The examples the document shows: a real book, not one of the shipped sample set (so that trying the example after
/// loading the samples does not meet a 409), and a problem per status.
/// </summary>
internal static class BooksOpenApiExamples
{
    private static readonly JsonSerializerOptions s_json = new(JsonSerializerOptions.Web);

    public const string BookId = "6650f1e2a3b4c5d6e7f80912";

    public static readonly BookRequest Request = new()
    {
        Isbn = "9780060512750",
        Title = "The Dispossessed",
        Authors = ["Ursula K. Le Guin"],
        PublishedYear = 1974,
        Language = "en",
        Tags = ["fiction", "science-fiction"],
    };

    public static readonly JsonNode RequestJson = JsonSerializer.SerializeToNode(Request, s_json)!;

    public static readonly JsonNode PatchJson = new JsonObject { ["publisher"] = "Harper Perennial", ["pageCount"] = 387 };

    public static readonly JsonNode ResponseJson = JsonSerializer.SerializeToNode(new BookResponse(
        BookId, Request.Isbn!, Request.Title!, [.. Request.Authors!.Select(a => a!)], Request.PublishedYear, Request.Publisher,
        Request.Language, Request.PageCount, [.. (Request.Tags ?? []).Select(t => t!)], Request.Summary,
        new DateTimeOffset(2026, 11, 1, 9, 30, 0, TimeSpan.Zero), new DateTimeOffset(2026, 11, 1, 9, 30, 0, TimeSpan.Zero), 1), s_json)!;

    public static readonly JsonNode PageJson = new JsonObject { ["items"] = new JsonArray(ResponseJson.DeepClone()), ["nextCursor"] = null };

    public static readonly JsonNode SeedJson = new JsonObject { ["inserted"] = 126, ["alreadyPresent"] = 0 };

    public static readonly Dictionary<string, JsonNode> RequestBodies = new()
    {
        [nameof(BooksApi.CreateBook)] = RequestJson,
        [nameof(BooksApi.ReplaceBook)] = RequestJson,
        [nameof(BooksApi.PatchBook)] = PatchJson,
    };

    private static readonly Dictionary<int, string> s_sections = new()
    {
        [400] = "15.5.1", [401] = "15.5.2", [403] = "15.5.4", [404] = "15.5.5", [409] = "15.5.10", [412] = "15.5.13",
        [413] = "15.5.14", [415] = "15.5.16", [429] = "6585#section-4", [503] = "15.6.4",
    };

    // Declared after s_sections, which they read. What a read answers where it differs from a write.
    public static readonly Dictionary<string, JsonNode> ReadProblems = new()
    {
        ["429"] = Problem(BooksProblems.TooManyReads(RateLimitSettings.Defaults.ReadsPerWindow, RateLimitSettings.Defaults.Window)),
    };

    // What an admin operation answers where it differs from a write.
    public static readonly Dictionary<string, JsonNode> AdminProblems = new()
    {
        ["403"] = Problem(BooksProblems.Forbidden(BooksApiSettings.AdminScope)),
    };

    public static readonly Dictionary<string, JsonNode> Problems = new()
    {
        ["400"] = Problem(ProblemKinds.Invalid.WithDetail(null), new JsonObject
        {
            ["title"] = new JsonArray("'title' is required."),
            ["authors[0]"] = new JsonArray($"'authors[0]' is at most {BookInput.MaxAuthorLength} characters long (214 given)."),
        }),
        ["401"] = Problem(BooksProblems.Unauthorized()),
        ["403"] = Problem(BooksProblems.Forbidden(BooksApiSettings.WriteScope)),
        ["404"] = Problem(BooksProblems.BookNotFound(BookId)),
        ["409"] = Problem(BooksProblems.DuplicateIsbn(Request.Isbn)),
        ["412"] = Problem(BooksProblems.BookChanged(BookId, "\"2\"")),
        ["413"] = Problem(BooksProblems.ContentTooLarge()),
        ["415"] = Problem(BooksProblems.UnsupportedMediaType()),
        ["429"] = Problem(BooksProblems.TooManyWrites(RateLimitSettings.Defaults.WritesPerWindow, RateLimitSettings.Defaults.Window)),
        ["503"] = Problem(BooksProblems.DatabaseUnavailable()),
    };

    private static JsonObject Problem(Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult result, JsonObject? errors = null)
    {
        var (status, title, detail) = (result.StatusCode, result.ProblemDetails.Title!, result.ProblemDetails.Detail);
        var section = s_sections[status];
        var problem = new JsonObject
        {
            ["type"] = section.Contains('#') ? $"https://tools.ietf.org/html/rfc{section}" : $"https://tools.ietf.org/html/rfc9110#section-{section}",
            ["title"] = title,
            ["status"] = status,
        };
        if (detail is not null)
        {
            problem["detail"] = detail;
        }

        if (errors is not null)
        {
            problem["errors"] = errors;
        }

        problem["traceId"] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        return problem;
    }
}
