using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using MongoDB.Bson;

namespace Books.Api.Books;

/// <summary>
/// An opaque keyset cursor: the sort key and id of the last book on a page, bound to the query that
/// produced it. It grants nothing a client could not ask for directly, so it is validated, not signed:
/// a cursor that does not decode, or that belongs to another query, is rejected.
/// </summary>
public sealed record BookCursor(string Sort, BsonValue Key, ObjectId Id, string QueryHash)
{
    private sealed record Payload(
        [property: JsonPropertyName("s")] string Sort,
        [property: JsonPropertyName("k")] JsonElement Key,
        [property: JsonPropertyName("i")] string Id,
        [property: JsonPropertyName("q")] string QueryHash);

    public string Encode()
    {
        JsonElement key = Key switch
        {
            BsonString s => JsonSerializer.SerializeToElement(s.Value),
            BsonInt32 i => JsonSerializer.SerializeToElement(i.Value),
            BsonDateTime d => JsonSerializer.SerializeToElement(d.MillisecondsSinceEpoch),
            _ => throw new InvalidOperationException($"A {Key.BsonType} cannot be a cursor key."),
        };
        var json = JsonSerializer.SerializeToUtf8Bytes(new Payload(Sort, key, Id.ToString(), QueryHash));
        return Base64Url.EncodeToString(json);
    }

    /// <returns><see langword="null"/> and a reason when <paramref name="text"/> is not a cursor of this query.</returns>
    public static BookCursor? Decode(string text, BookSort sort, string queryHash, out string? problem)
    {
        problem = "The cursor is not one this API issued.";
        Payload? payload;
        try
        {
            payload = text.Length <= 1024 ? JsonSerializer.Deserialize<Payload>(Base64Url.DecodeFromChars(text)) : null;
        }
        catch (Exception ex) when (ex is FormatException or JsonException)
        {
            return null;
        }

        if (payload is null || !ObjectId.TryParse(payload.Id, out var id) || payload.Sort is null || payload.QueryHash is null)
        {
            return null;
        }

        if (payload.Sort != sort.Name || payload.QueryHash != queryHash)
        {
            problem = "The cursor belongs to a different query: keep the filters and sort of the request that returned it.";
            return null;
        }

        BsonValue? key = (sort.Field, payload.Key.ValueKind) switch
        {
            (BookSort.TitleField, JsonValueKind.String) => new BsonString(payload.Key.GetString()!),
            (BookSort.YearField, JsonValueKind.Number) when payload.Key.TryGetInt32(out var year) => new BsonInt32(year),
            (BookSort.CreatedField, JsonValueKind.Number) when payload.Key.TryGetInt64(out var ms) => new BsonDateTime(ms),
            _ => null,
        };

        problem = key is null ? "The cursor is not one this API issued." : null;
        return key is null ? null : new BookCursor(payload.Sort, key, id, payload.QueryHash);
    }

    /// <summary>A short digest of everything that shapes a listing, so a cursor cannot wander between queries.</summary>
    public static string HashQuery(params string?[] parts)
    {
        var joined = string.Join('\u001f', parts.Select(p => p ?? "\u0000"));
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(joined)).AsSpan(0, 8));
    }
}
