using System.Collections.Frozen;
using System.Globalization;
using System.Text;

namespace Books.Api.Books;

/// <summary>
/// The words <c>?q=</c> searches: a title's or an author's text, folded (<see cref="Fold"/>), then split at every
/// character that is not a letter or a digit. So "Gödel, Escher, Bach" holds the words godel, escher, bach, "Le Guin"
/// le, guin, and "Søren Kierkegaard" soren, kierkegaard. A search word matches a stored word it is a prefix of; every
/// search word must match. Stored as arrays with a multikey index each, so a prefix is an anchored regular expression
/// that the index answers with tight bounds, never a scan of every title. The sort and filter keys fold the same way
/// (<see cref="BookDocuments.TitleKey"/>, <see cref="BookDocuments.AuthorKey"/>).
/// </summary>
public static class BookWords
{
    /// <summary>Shorter search words are left out of a search: they would match too much to be worth an index scan.</summary>
    public const int MinPrefixLength = 2;

    /// <summary>At most this many search words in one <c>q</c>.</summary>
    public const int MaxSearchWords = 8;

    /// <summary>
    /// The rules the stored words and keys were made by, kept in each book (<see cref="Book.WordsVersion"/>): 1 is NFKD
    /// with ICU for the words; 2 folds the letters NFKD leaves whole too, and folds the title and author keys the same
    /// way. Books stored before 1 (or by a build in globalization-invariant mode, whose words kept their accents) have
    /// none, and <see cref="BookWordsBackfill"/> makes their words and keys again. Raise it when <see cref="Fold"/> or
    /// <see cref="Of(string)"/> changes.
    /// </summary>
    public const int Version = 2;

    /// <summary>
    /// Letters that NFKD leaves whole (Unicode gives them no decomposition) and what they fold to, as CLDR's Latin-ASCII
    /// transform writes them: so "soren" finds "Søren", "lodz" "Łódź", "strasse" "Straße".
    /// </summary>
    private static readonly FrozenDictionary<char, string> s_whole = new Dictionary<char, string>
    {
        ['ß'] = "ss", ['ẞ'] = "SS", ['ø'] = "o", ['Ø'] = "O", ['ł'] = "l", ['Ł'] = "L", ['đ'] = "d", ['Đ'] = "D", ['ð'] = "d", ['Ð'] = "D",
        ['æ'] = "ae", ['Æ'] = "AE", ['œ'] = "oe", ['Œ'] = "OE", ['þ'] = "th", ['Þ'] = "TH", ['ħ'] = "h", ['Ħ'] = "H", ['ı'] = "i",
        ['ŧ'] = "t", ['Ŧ'] = "T", ['ŋ'] = "n", ['Ŋ'] = "N", ['ĸ'] = "q",
    }.ToFrozenDictionary();

    /// <summary>
    /// <paramref name="text"/> as search and sort compare it: Unicode compatibility decomposition (NFKD), accents and
    /// other combining marks dropped, the letters NFKD leaves whole folded (<see cref="s_whole"/>), lower-cased
    /// (invariant culture). Everything else is kept, so "Émile" sorts among the E's and matches "emile".
    /// </summary>
    public static string Fold(string text)
    {
        var folded = new StringBuilder(text.Length);
        foreach (var c in text.Normalize(NormalizationForm.FormKD))
        {
            var category = CharUnicodeInfo.GetUnicodeCategory(c);
            if (category is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark)
            {
                continue;
            }

            if (s_whole.TryGetValue(c, out var replacement))
            {
                folded.Append(replacement.ToLowerInvariant());
            }
            else
            {
                folded.Append(char.ToLowerInvariant(c));
            }
        }

        return folded.ToString();
    }

    /// <summary>
    /// Stops startup when the runtime cannot decompose letters (globalization-invariant mode, or no ICU): NFKD would then
    /// leave "í" whole, so books stored by this process would hold words such as "garcía" that <c>?q=garcia</c> never
    /// finds, silently and for good.
    /// </summary>
    /// <exception cref="InvalidOperationException">Unicode normalization does not decompose here.</exception>
    public static void RequireUnicodeNormalization()
    {
        if (!Of("\u00C9").SequenceEqual(["e"]))
        {
            throw new InvalidOperationException(
                "The books search needs Unicode normalization (ICU), but this process runs in globalization-invariant mode: " +
                "'É' does not decompose, so accented titles and authors could not be found without their accents. Unset " +
                "DOTNET_SYSTEM_GLOBALIZATION_INVARIANT (and InvariantGlobalization in the project) and install ICU (libicu).");
        }
    }

    public static string[] Of(string text)
    {
        var folded = Fold(text).ToCharArray();
        for (var i = 0; i < folded.Length; i++)
        {
            if (!char.IsLetterOrDigit(folded[i]))
            {
                folded[i] = ' ';
            }
        }

        return [.. new string(folded).Split(' ', StringSplitOptions.RemoveEmptyEntries).Distinct(StringComparer.Ordinal)];
    }

    public static string[] Of(IEnumerable<string> texts) => [.. texts.SelectMany(Of).Distinct(StringComparer.Ordinal)];

    /// <summary>The words of a search that are long enough to search by.</summary>
    public static string[] OfSearch(string q) => [.. Of(q).Where(word => word.Length >= MinPrefixLength)];
}
