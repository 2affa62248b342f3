using System.Globalization;

namespace Shears.Domain.Datasets;

/// <summary>
/// Parses the Python dict literal in a .npy header, e.g. <c>{'descr': '&lt;f4', 'fortran_order': False, 'shape': (100, 1, 28, 28), }</c>.
/// Only what numpy writes is accepted: string keys; string, True/False and tuple-of-integer values.
/// Values come back as <see cref="string"/>, <see cref="bool"/> or <c>long[]</c>. Nothing is evaluated.
/// </summary>
public sealed class NpyHeaderParser
{
    private readonly string _text;
    private readonly string _fileName;
    private int _position;

    private NpyHeaderParser(string text, string fileName) => (_text, _fileName) = (text, fileName);

    public static IReadOnlyDictionary<string, object> Parse(string text, string fileName)
    {
        var parser = new NpyHeaderParser(text, fileName);
        var dictionary = parser.ParseDictionary();
        parser.SkipWhitespace();
        return parser._position == text.Length ? dictionary : throw parser.Error("unexpected text after the closing '}'");
    }

    private Dictionary<string, object> ParseDictionary()
    {
        Expect('{');
        var entries = new Dictionary<string, object>(StringComparer.Ordinal);
        while (!TryConsume('}'))
        {
            var key = ParseString();
            Expect(':');
            entries[key] = ParseValue();
            if (!TryConsume(',')) { Expect('}'); break; }
        }
        return entries;
    }

    private object ParseValue()
    {
        SkipWhitespace();
        if (_position < _text.Length && _text[_position] is '\'' or '"') return ParseString();
        if (TryConsumeWord("True")) return true;
        if (TryConsumeWord("False")) return false;
        if (TryConsume('(')) return ParseIntegerTuple();
        throw Error("expected a string, True, False or a tuple of integers");
    }

    private long[] ParseIntegerTuple()
    {
        var items = new List<long>();
        while (!TryConsume(')'))
        {
            items.Add(ParseInteger());
            if (!TryConsume(',')) { Expect(')'); break; }
        }
        return [.. items];
    }

    private long ParseInteger()
    {
        SkipWhitespace();
        var start = _position;
        while (_position < _text.Length && char.IsAsciiDigit(_text[_position])) _position++;
        if (!long.TryParse(_text.AsSpan(start, _position - start), NumberStyles.None, CultureInfo.InvariantCulture, out var value))
        {
            throw Error("expected a non-negative integer dimension");
        }
        TryConsume('L'); // Python 2 era numpy wrote long integers as 100L.
        return value;
    }

    private string ParseString()
    {
        SkipWhitespace();
        if (_position >= _text.Length || _text[_position] is not ('\'' or '"')) throw Error("expected a quoted string");
        var quote = _text[_position++];
        var end = _text.IndexOf(quote, _position);
        if (end < 0) throw Error("a string is not closed");
        var value = _text[_position..end];
        if (value.Contains('\\')) throw Error("escapes in strings are not part of a numpy header");
        _position = end + 1;
        return value;
    }

    private void Expect(char c)
    {
        if (!TryConsume(c)) throw Error($"expected '{c}'");
    }

    private bool TryConsume(char c)
    {
        SkipWhitespace();
        if (_position >= _text.Length || _text[_position] != c) return false;
        _position++;
        return true;
    }

    private bool TryConsumeWord(string word)
    {
        if (string.CompareOrdinal(_text, _position, word, 0, word.Length) != 0) return false;
        _position += word.Length;
        return true;
    }

    private void SkipWhitespace()
    {
        while (_position < _text.Length && char.IsWhiteSpace(_text[_position])) _position++;
    }

    private InvalidDatasetException Error(string what) => new(
        $"{_fileName}: the .npy header is not a numpy header ({what} at character {_position}). " +
        "Save the array with numpy.save.");
}
