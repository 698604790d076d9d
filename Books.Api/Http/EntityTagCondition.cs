using Microsoft.Extensions.Primitives;

namespace Books.Api.Http;

/// <summary>
/// The value of an If-Match or If-None-Match field, read by the grammar of RFC 9110:
/// <c>"*" / #entity-tag</c> (13.1.1, 13.1.2), where <c>entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE</c> (8.8.3)
/// and a list may hold empty elements (5.6.1). A value that fits neither form is <see cref="IsValid"/> false:
/// it names no entity tag, and <c>*</c> counts only as the whole field value.
/// </summary>
public sealed class EntityTagCondition
{
    private static readonly EntityTagCondition s_any = new(isAny: true, isValid: true, []);
    private static readonly EntityTagCondition s_invalid = new(isAny: false, isValid: false, []);

    private EntityTagCondition(bool isAny, bool isValid, IReadOnlyList<EntityTag> tags)
    {
        IsAny = isAny;
        IsValid = isValid;
        Tags = tags;
    }

    /// <summary>The field value is <c>*</c>: any current representation.</summary>
    public bool IsAny { get; }

    /// <summary>The field value is <c>*</c> or a well-formed list of entity tags.</summary>
    public bool IsValid { get; }

    /// <summary>The entity tags of a valid list; empty for <c>*</c> and for an invalid value.</summary>
    public IReadOnlyList<EntityTag> Tags { get; }

    /// <summary>Reads a field from its lines (RFC 9110 5.3: several lines are one comma-separated list),
    /// or <see langword="null"/> when the request has no such field.</summary>
    public static EntityTagCondition? Read(StringValues lines)
    {
        if (lines.Count == 0)
        {
            return null;
        }

        var value = string.Join(',', lines.ToArray()).Trim(' ', '\t');
        if (value == "*")
        {
            return s_any;
        }

        var tags = new List<EntityTag>();
        var position = 0;
        while (true)
        {
            position = SkipWhitespace(value, position);
            if (position == value.Length)
            {
                return new EntityTagCondition(isAny: false, isValid: true, tags);
            }

            if (value[position] == ',')
            {
                position++; // an empty list element
                continue;
            }

            if (ReadTag(value, ref position) is not { } tag)
            {
                return s_invalid;
            }

            tags.Add(tag);
            position = SkipWhitespace(value, position);
            if (position < value.Length && value[position] != ',')
            {
                return s_invalid; // two tags without a comma, or text after a tag
            }
        }
    }

    /// <summary>If-Match (RFC 9110 13.1.1): true for <c>*</c>, or when a listed tag is strongly equal to
    /// <paramref name="current"/> (8.8.3.2: neither is weak and the opaque tags are the same characters).</summary>
    public bool MatchesStrongly(string current) =>
        IsAny || Tags.Any(tag => !tag.IsWeak && tag.Opaque == current);

    /// <summary>If-None-Match (RFC 9110 13.1.2): true for <c>*</c>, or when a listed tag is weakly equal to
    /// <paramref name="current"/> (8.8.3.2: the opaque tags are the same characters, weak or not).</summary>
    public bool MatchesWeakly(string current) =>
        IsAny || Tags.Any(tag => tag.Opaque == current);

    private static int SkipWhitespace(string value, int position)
    {
        while (position < value.Length && value[position] is ' ' or '\t')
        {
            position++;
        }

        return position;
    }

    private static EntityTag? ReadTag(string value, ref int position)
    {
        var weak = string.CompareOrdinal(value, position, "W/", 0, 2) == 0; // %s"W/": case-sensitive
        var start = weak ? position + 2 : position;
        if (start >= value.Length || value[start] != '"')
        {
            return null;
        }

        var end = start + 1;
        while (end < value.Length && IsEtagChar(value[end]))
        {
            end++;
        }

        if (end >= value.Length || value[end] != '"')
        {
            return null;
        }

        position = end + 1;
        return new EntityTag(value[start..position], weak);
    }

    // etagc = %x21 / %x23-7E / obs-text (%x80-FF): no space, no control, no DQUOTE.
    private static bool IsEtagChar(char c) => c is '\x21' or (>= '\x23' and <= '\x7E') or (>= '\x80' and <= '\xFF');
}

/// <summary>One entity tag: its opaque tag with the quotes (<c>"3"</c>), and whether it was sent weak (<c>W/"3"</c>).</summary>
public sealed record EntityTag(string Opaque, bool IsWeak);
