namespace Books.Api.Books;

/// <summary>
/// ISBN-10 and ISBN-13 parsing with checksum validation. Books are stored and returned as the 13
/// digits of their ISBN-13, so every form of one ISBN names the same book.
/// </summary>
public static class Isbn
{
    /// <summary>The shapes <see cref="TryParse"/> reads: 10 digits (the last may be X) or 13, hyphens and spaces anywhere.
    /// The checksum is checked on top.</summary>
    public const string Pattern = "^[- ]*(?:(?:[0-9][- ]*){9}[0-9Xx]|(?:[0-9][- ]*){12}[0-9])[- ]*$";

    /// <summary>How a stored ISBN reads: the 13 digits of its ISBN-13.</summary>
    public const string Isbn13Pattern = "^97[89][0-9]{10}$";

    /// <summary>Parses an ISBN-10 or ISBN-13 (hyphens and spaces allowed) into its ISBN-13 digits.</summary>
    /// <returns><see langword="null"/> on success, else why the text is not an ISBN.</returns>
    public static string? TryParse(string? text, out string isbn13)
    {
        isbn13 = "";
        if (string.IsNullOrWhiteSpace(text))
        {
            return "An ISBN is required.";
        }

        Span<char> chars = stackalloc char[13];
        var length = 0;
        foreach (var c in text.Trim())
        {
            if (c is '-' or ' ')
            {
                continue;
            }

            if (length == 13 || !(char.IsAsciiDigit(c) || c is 'X' or 'x'))
            {
                return "An ISBN has 10 or 13 digits (the last of an ISBN-10 may be X), optionally separated by hyphens or spaces.";
            }

            chars[length++] = char.ToUpperInvariant(c);
        }

        return length switch
        {
            10 => FromIsbn10(chars[..10], out isbn13),
            13 => FromIsbn13(chars, out isbn13),
            _ => "An ISBN has 10 or 13 digits (the last of an ISBN-10 may be X), optionally separated by hyphens or spaces.",
        };
    }

    private static string? FromIsbn10(ReadOnlySpan<char> digits, out string isbn13)
    {
        isbn13 = "";
        if (digits[..9].ContainsAnyExcept("0123456789"))
        {
            return "Only the last character of an ISBN-10 may be X.";
        }

        var sum = 0;
        for (var i = 0; i < 10; i++)
        {
            var value = digits[i] == 'X' ? 10 : digits[i] - '0';
            sum += (10 - i) * value;
        }

        if (sum % 11 != 0)
        {
            return "The ISBN-10 check digit does not match.";
        }

        var body = string.Concat("978", digits[..9]);
        isbn13 = body + Isbn13CheckDigit(body);
        return null;
    }

    private static string? FromIsbn13(ReadOnlySpan<char> digits, out string isbn13)
    {
        isbn13 = "";
        if (digits.ContainsAnyExcept("0123456789"))
        {
            return "An ISBN-13 has digits only.";
        }

        if (!digits.StartsWith("978") && !digits.StartsWith("979"))
        {
            return "An ISBN-13 starts with 978 or 979.";
        }

        var text = digits.ToString();
        if (Isbn13CheckDigit(text.AsSpan(0, 12)) != text[12])
        {
            return "The ISBN-13 check digit does not match.";
        }

        isbn13 = text;
        return null;
    }

    /// <summary>The check digit of the first 12 digits of an ISBN-13.</summary>
    public static char Isbn13CheckDigit(ReadOnlySpan<char> first12)
    {
        var sum = 0;
        for (var i = 0; i < 12; i++)
        {
            sum += (first12[i] - '0') * (i % 2 == 0 ? 1 : 3);
        }

        return (char)('0' + (10 - sum % 10) % 10);
    }
}
