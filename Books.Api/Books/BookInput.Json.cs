using System.ComponentModel.DataAnnotations;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Books.Api.Books;

/// <summary>What a body that cannot be read as a book has wrong, found in its JSON (<see cref="Http.JsonBodyProblem"/>).</summary>
public static partial class BookInput
{
    /// <summary>
    /// The first thing in a book's JSON that keeps it from being read as one, in the order the body names them: not an
    /// object, a field named twice, a field only the server sets, a field a book does not have, a field of the wrong
    /// JSON type; null when none.
    /// </summary>
    public static string? DescribeJson(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            return "'$' has the wrong type.";
        }

        if (DuplicateField(body) is { } duplicate)
        {
            return duplicate;
        }

        foreach (var property in body.EnumerateObject())
        {
            var name = property.Name;
            var problem = ServerOwnedFields.Contains(name) ? $"'{name}' is set by the server and cannot be sent."
                : !s_kinds.TryGetValue(name, out var kinds) ? $"'{name}' is not a field of a book."
                : !kinds(property.Value) ? $"'{name}' has the wrong type."
                : null;
            if (problem is not null)
            {
                return problem;
            }
        }

        return null;
    }

    /// <summary>The first field an object names twice (RFC 8259 4: names SHOULD be unique; books-api requires it), or null.</summary>
    public static string? DuplicateField(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in body.EnumerateObject())
        {
            if (!seen.Add(property.Name))
            {
                return $"The body names '{property.Name}' more than once.";
            }
        }

        return null;
    }

    // The JSON each field of BookRequest takes: a string, a whole number (int32), or an array of strings; null for any.
    private static readonly Dictionary<string, Func<JsonElement, bool>> s_kinds = typeof(BookRequest).GetProperties().ToDictionary(
        property => JsonNamingPolicy.CamelCase.ConvertName(property.Name),
        property => (Func<JsonElement, bool>)(property.PropertyType == typeof(string)
            ? value => value.ValueKind is JsonValueKind.String or JsonValueKind.Null
            : property.PropertyType == typeof(int?)
                ? value => value.ValueKind == JsonValueKind.Null || (value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out _))
                : value => value.ValueKind == JsonValueKind.Null || (value.ValueKind == JsonValueKind.Array
                    && value.EnumerateArray().All(item => item.ValueKind is JsonValueKind.String or JsonValueKind.Null))),
        StringComparer.Ordinal);
}
