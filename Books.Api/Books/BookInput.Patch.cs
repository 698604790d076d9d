using System.Text.Json;

namespace Books.Api.Books;

/// <summary>The merge-patch half of the book rules: each field of an RFC 7396 patch read and held to the same rules as a full body.</summary>
public static partial class BookInput
{
    /// <summary>Reads an RFC 7396 merge patch of a book. The body must be a JSON object.</summary>
    public static IReadOnlyList<BookFieldChange>? ValidatePatch(JsonElement patch, int currentYear, out Dictionary<string, string[]> errors)
    {
        var collector = new Errors();
        var changes = new List<BookFieldChange>();
        if (patch.ValueKind != JsonValueKind.Object)
        {
            collector.Add("$", "A merge patch is a JSON object of the fields to change.");
        }
        else
        {
            foreach (var property in patch.EnumerateObject())
            {
                if (ReadPatchField(collector, property, currentYear) is { } change)
                {
                    changes.Add(change);
                }
            }

            if (changes.Count == 0 && collector.Count == 0)
            {
                collector.Add("$", "The patch changes nothing: name at least one field.");
            }
        }

        errors = collector.ToDictionary();
        return errors.Count > 0 ? null : changes;
    }

    private static BookFieldChange? ReadPatchField(Errors errors, JsonProperty property, int currentYear)
    {
        var name = property.Name;
        var value = property.Value;
        if (ServerOwnedFields.Contains(name))
        {
            errors.Add(name, $"'{name}' is set by the server and cannot be changed.");
            return null;
        }

        if (value.ValueKind == JsonValueKind.Null)
        {
            if (s_requiredFields.Contains(name))
            {
                errors.Add(name, $"'{name}' is required and cannot be removed.");
                return null;
            }
        }

        var before = errors.Count;
        object? parsed = name switch
        {
            "isbn" => As<string>(errors, name, value, JsonValueKind.String) is { } s ? ParseIsbn(errors, s) : null,
            "title" => RequiredText(errors, name, As<string>(errors, name, value, JsonValueKind.String), MaxTitleLength),
            "authors" => Authors(errors, AsStrings(errors, name, value)),
            "publishedYear" => value.ValueKind == JsonValueKind.Null ? null : Year(errors, AsInt(errors, name, value), currentYear),
            "publisher" => OptionalText(errors, name, As<string>(errors, name, value, JsonValueKind.String), MaxPublisherLength),
            "language" => Language(errors, As<string>(errors, name, value, JsonValueKind.String)),
            "pageCount" => value.ValueKind == JsonValueKind.Null ? null : PageCount(errors, AsInt(errors, name, value)),
            "tags" => Tags(errors, value.ValueKind == JsonValueKind.Null ? null : AsStrings(errors, name, value)),
            "summary" => OptionalText(errors, name, As<string>(errors, name, value, JsonValueKind.String), MaxSummaryLength, allowLineBreaks: true),
            _ => Unknown(errors, name),
        };

        return errors.Count > before ? null : new BookFieldChange(ElementOf[name], parsed);
    }

    private static object? Unknown(Errors errors, string name)
    {
        errors.Add(name, $"'{name}' is not a field of a book.");
        return null;
    }

    private static T? As<T>(Errors errors, string name, JsonElement value, JsonValueKind kind) where T : class
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != kind)
        {
            errors.Add(name, $"'{name}' must be a {kind.ToString().ToLowerInvariant()}.");
            return null;
        }

        return value.Deserialize<T>();
    }

    private static int? AsInt(Errors errors, string name, JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number))
        {
            return number;
        }

        errors.Add(name, $"'{name}' must be a whole number.");
        return null;
    }

    private static List<string?>? AsStrings(Errors errors, string name, JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Array || value.EnumerateArray().Any(item => item.ValueKind is not (JsonValueKind.String or JsonValueKind.Null)))
        {
            errors.Add(name, $"'{name}' must be an array of strings.");
            return null;
        }

        return value.EnumerateArray().Select(item => item.GetString()).ToList();
    }
}
