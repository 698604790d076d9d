using System.Text.Json.Nodes;

namespace Books.Tests.Contract;

/// <summary>
/// The document publishes each field rule as a schema keyword; this walks the checked-in document and,
/// field by field, sends the value at each published limit (accepted) and one past it (refused, keyed by
/// that field). A limit that drifted from the validator fails here.
/// </summary>
[Collection(MongodStandInCollection.Name)]
public sealed class PublishedLimitsTests(MongodStandInFixture mongod)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Published_limits_are_the_enforced_ones()
    {
        var schema = JsonNode.Parse(File.ReadAllText(ContractTools.CheckedInDocument))!["components"]!["schemas"]!["BookRequest"]!;
        await using var api = BooksApiHost.Create(mongod.NewDatabase());
        using var client = api.CreateWriterClient();
        var checkedLimits = new List<string>();

        foreach (var (field, property) in schema["properties"]!.AsObject())
        {
            foreach (var limit in LimitsOf(field, property!))
            {
                using var accepted = await client.PostAsJsonAsync("/api/books", BodyWith(field, limit.AtLimit), Cancellation);
                using var refused = await client.PostAsJsonAsync("/api/books", BodyWith(field, limit.PastLimit), Cancellation);

                var what = $"{limit.ErrorKey} {limit.Keyword}";
                Assert.True(accepted.StatusCode == HttpStatusCode.Created, $"{what}: at the limit {(int)accepted.StatusCode} {await accepted.Content.ReadAsStringAsync(Cancellation)}");
                Assert.True(refused.StatusCode == HttpStatusCode.BadRequest, $"{what}: past the limit {(int)refused.StatusCode}");
                var errors = (await refused.Content.ReadFromJsonAsync<JsonElement>(Cancellation)).GetProperty("errors");
                Assert.True(errors.TryGetProperty(limit.ErrorKey, out _), $"{what}: refused, but not for '{limit.ErrorKey}': {errors}");
                checkedLimits.Add(what);
            }
        }

        foreach (var required in schema["required"]!.AsArray().Select(r => r!.GetValue<string>()))
        {
            using var missing = await client.PostAsJsonAsync("/api/books", BodyWith(required, null), Cancellation);
            Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
            Assert.True((await missing.Content.ReadFromJsonAsync<JsonElement>(Cancellation)).GetProperty("errors").TryGetProperty(required, out _), required);
            checkedLimits.Add($"{required} required");
        }

        Reports.Write("contract-limits", $"published limits checked at and past the limit: {checkedLimits.Count} ({string.Join(", ", checkedLimits)})");
        Assert.True(checkedLimits.Count >= 18, string.Join(", ", checkedLimits));
    }

    private sealed record Limit(string Keyword, string ErrorKey, JsonNode? AtLimit, JsonNode? PastLimit);

    /// <summary>Each keyword that bounds a field (or its items), with a value at the bound and one past it.</summary>
    private static IEnumerable<Limit> LimitsOf(string field, JsonNode property)
    {
        foreach (var limit in ScalarLimits(field, field, property, item => item))
        {
            yield return limit;
        }

        if (property["items"] is { } items)
        {
            foreach (var limit in ScalarLimits(field, $"{field}[0]", items, item => new JsonArray(item)))
            {
                yield return limit;
            }
        }

        if (property["minItems"]?.GetValue<int>() is { } minItems)
        {
            yield return new("minItems", field, Items(field, minItems), Items(field, minItems - 1));
        }

        if (property["maxItems"]?.GetValue<int>() is { } maxItems)
        {
            yield return new("maxItems", field, Items(field, maxItems), Items(field, maxItems + 1));
        }
    }

    private static IEnumerable<Limit> ScalarLimits(string field, string errorKey, JsonNode schema, Func<JsonNode?, JsonNode?> wrap)
    {
        if (schema["minLength"]?.GetValue<int>() is { } minLength)
        {
            yield return new("minLength", errorKey, wrap(Text(field, minLength)), wrap(Text(field, minLength - 1)));
        }

        if (schema["maxLength"]?.GetValue<int>() is { } maxLength)
        {
            yield return new("maxLength", errorKey, wrap(Text(field, maxLength)), wrap(Text(field, maxLength + 1)));
        }

        if (schema["minimum"] is { } minimum)
        {
            var value = int.Parse(minimum.ToString(), System.Globalization.CultureInfo.InvariantCulture);
            yield return new("minimum", errorKey, wrap(value), wrap(value - 1));
        }

        if (schema["maximum"] is { } maximum)
        {
            var value = int.Parse(maximum.ToString(), System.Globalization.CultureInfo.InvariantCulture);
            yield return new("maximum", errorKey, wrap(value), wrap(value + 1));
        }
    }

    /// <summary>Valid text of an exact length; a language tag for the language field (its pattern).</summary>
    private static string Text(string field, int length) => field == "language"
        ? LanguageTag(length)
        : length == 0 ? "" : "x" + new string('y', length - 1);

    // en-Latn-GB then 8-character variants, padded with one shorter variant: a valid BCP 47 tag of any length >= 10.
    private static string LanguageTag(int length)
    {
        var tag = "en-Latn-GB";
        while (length - tag.Length >= 9 + 6 || length - tag.Length == 9)
        {
            tag += "-abcdefgh";
        }

        return length - tag.Length is >= 6 and <= 9 ? tag + "-" + new string('v', length - tag.Length - 1) : tag.PadRight(length, 'x');
    }

    private static JsonArray Items(string field, int count) =>
        new([.. Enumerable.Range(0, count).Select(i => (JsonNode)$"{field} {i}")]);

    private static JsonObject BodyWith(string field, JsonNode? value)
    {
        var body = JsonSerializer.SerializeToNode(TestBooks.Body())!.AsObject();
        body.Remove("tags");
        if (value is null)
        {
            body.Remove(field);
        }
        else
        {
            body[field] = value.DeepClone();
        }

        return body;
    }
}
