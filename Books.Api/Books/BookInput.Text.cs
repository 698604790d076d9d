using System.ComponentModel.DataAnnotations;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Books.Api.Books;

/// <summary>The text rules of a book's fields: trimmed, bounded, no control characters or unpaired surrogates.</summary>
public static partial class BookInput
{
    private static string? RequiredText(Errors errors, string field, string? value, int maxLength)
    {
        var text = Normalise(errors, field, value, maxLength, allowLineBreaks: false);
        if (text is null && !errors.Has(field))
        {
            errors.Add(field, $"'{field}' is required.");
        }

        return text;
    }

    private static string? OptionalText(Errors errors, string field, string? value, int maxLength, bool allowLineBreaks = false) =>
        Normalise(errors, field, value, maxLength, allowLineBreaks);

    /// <summary>Trims; returns null for missing or blank text; rejects text no client should send.</summary>
    private static string? Normalise(Errors errors, string field, string? value, int maxLength, bool allowLineBreaks)
    {
        var text = value?.Trim();
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        if (text.Length > maxLength)
        {
            errors.Add(field, $"'{field}' is at most {maxLength} characters long ({text.Length} given).");
            return null;
        }

        if (FindUnacceptableCharacter(text, allowLineBreaks) is { } problem)
        {
            errors.Add(field, $"'{field}' {problem}.");
            return null;
        }

        return text;
    }

    /// <summary>
    /// Why <paramref name="text"/> is not plain text a catalogue should hold, or <see langword="null"/>:
    /// control characters (line breaks only where allowed), unpaired surrogates, noncharacters, and the
    /// invisible characters used to disguise text (bidirectional overrides and isolates, zero-width space, BOM).
    /// </summary>
    public static string? FindUnacceptableCharacter(string text, bool allowLineBreaks)
    {
        foreach (var c in text)
        {
            if (char.IsControl(c) && !(allowLineBreaks && c is '\n' or '\r' or '\t'))
            {
                return "contains control characters";
            }

            if (c is '\u200B' or '\uFEFF' or '\uFFFE' or '\uFFFF' or (>= '\u202A' and <= '\u202E') or (>= '\u2066' and <= '\u2069'))
            {
                return $"contains an invisible or reserved character (U+{(int)c:X4})";
            }
        }

        try
        {
            s_strictUtf8.GetByteCount(text);
        }
        catch (EncoderFallbackException)
        {
            return "contains an unpaired UTF-16 surrogate, which is not text";
        }

        return null;
    }
}
