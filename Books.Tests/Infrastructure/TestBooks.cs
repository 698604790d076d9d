using System.Text;

namespace Books.Tests.Infrastructure;

/// <summary>Test data and calls for the books API. Every test makes its own books (unique ISBNs, tags, titles).</summary>
public static class TestBooks
{
    /// <summary>A random, valid ISBN-13 (978 prefix): unique enough that tests never collide.</summary>
    public static string NewIsbn()
    {
        var first12 = "978" + string.Concat(Enumerable.Range(0, 9).Select(_ => (char)('0' + Random.Shared.Next(10))));
        return first12 + Isbn.Isbn13CheckDigit(first12);
    }

    /// <summary>A tag no other test uses, for filters that must only see this test's books.</summary>
    public static string NewTag() => $"t{Guid.NewGuid():N}"[..24];

    public static Dictionary<string, object?> Body(string? title = null, string? tag = null, int? year = 2001, string? author = null) => new()
    {
        ["isbn"] = NewIsbn(),
        ["title"] = title ?? $"A Test Book {Guid.NewGuid():N}",
        ["authors"] = new[] { author ?? "Test Author" },
        ["publishedYear"] = year,
        ["tags"] = tag is null ? Array.Empty<string>() : new[] { tag },
    };

    /// <summary>
    /// A book as it is stored, for writing straight into the collection (states books-api would never write itself,
    /// such as two books sharing an ISBN): its words made by the current rules.
    /// </summary>
    public static MongoDB.Bson.BsonDocument Stored(MongoDB.Bson.ObjectId id, string isbn) => new()
    {
        ["_id"] = id, ["isbn"] = isbn, ["title"] = "Stored Twice", ["titleKey"] = "stored twice", ["authors"] = new MongoDB.Bson.BsonArray { "A" },
        ["authorKeys"] = new MongoDB.Bson.BsonArray { "a" }, ["yearKey"] = 0, ["tags"] = new MongoDB.Bson.BsonArray(), ["createdAt"] = DateTime.UtcNow,
        ["updatedAt"] = DateTime.UtcNow, ["version"] = 1L, ["wordsVersion"] = BookWords.Version,
        ["titleWords"] = new MongoDB.Bson.BsonArray { "stored", "twice" }, ["authorWords"] = new MongoDB.Bson.BsonArray { "a" },
    };

    public static async Task<JsonElement> CreateAsync(this HttpClient api, object body, CancellationToken cancellationToken)
    {
        using var response = await api.PostAsJsonAsync("/api/books", body, cancellationToken);
        if (response.StatusCode != System.Net.HttpStatusCode.Created)
        {
            throw new InvalidOperationException($"POST /api/books answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken)}");
        }

        return await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
    }

    /// <summary>A PUT (full body), PATCH (merge patch of the title) or DELETE of one book.</summary>
    public static HttpRequestMessage Write(string method, string id, object? putBody = null, string patch = """{ "title": "x" }""") =>
        new(new HttpMethod(method), $"/api/books/{id}")
        {
            Content = method switch
            {
                "PUT" => JsonContent.Create(putBody ?? Body()),
                "PATCH" => Json(patch, "application/merge-patch+json"),
                _ => null,
            },
        };

    public static StringContent Json(string json, string mediaType = "application/json") =>
        new(json, Encoding.UTF8, mediaType);

    public static async Task<JsonElement> ProblemAsync(this HttpResponseMessage response, CancellationToken cancellationToken)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
    }

    public static string Id(this JsonElement book) => book.GetProperty("id").GetString()!;
}
