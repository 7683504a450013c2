using System.Globalization;
using System.Text;
using ModerationConsole.Scoring.Manifest;

namespace ModerationConsole.Scoring.Text;

/// <summary>
/// fastText-style features of a prompt, hashed into a fixed number of buckets: every word, every run of up to
/// <see cref="TextInput.WordNgrams"/> words, and the character n-grams of each word wrapped in '&lt;' and '&gt;' (so
/// "nud" inside "nudity" and a misspelt "nuude" share features). Hashing needs no vocabulary, so a word never seen in
/// training still lands in a bucket. The hash (FNV-1a over UTF-8) is part of the model: changing it needs a new
/// featurizer name in the manifest.
/// </summary>
public sealed class PromptFeaturizer(TextInput settings)
{
    public TextInput Settings => settings;

    /// <summary>The bucket ids of one prompt, in order, at most <see cref="TextInput.MaxFeatures"/> (at least one: an empty prompt gets the bucket of "").</summary>
    public List<int> Features(string prompt)
    {
        var words = Words(prompt);
        // Room for every feature at once: the word n-grams, and up to (max - min + 1) character n-grams per wrapped letter.
        var characters = words.Sum(w => w.Length + 2);
        var features = new List<int>(Math.Min(settings.MaxFeatures,
            words.Count * settings.WordNgrams + characters * (settings.CharNgramMax - settings.CharNgramMin + 1) + 1));
        for (var i = 0; i < words.Count && features.Count < settings.MaxFeatures; i++)
        {
            var word = words[i];
            features.Add(Bucket("w:", word));
            var gram = word;
            for (var n = 2; n <= settings.WordNgrams && i + n <= words.Count; n++)
            {
                gram += " " + words[i + n - 1];
                features.Add(Bucket("w:", gram));
            }
            if (settings.CharNgramMax == 0) continue;
            var wrapped = "<" + word + ">";
            for (var n = settings.CharNgramMin; n <= settings.CharNgramMax; n++)
                for (var start = 0; start + n <= wrapped.Length; start++)
                    features.Add(Bucket("c:", wrapped.AsSpan(start, n)));
        }
        if (features.Count == 0) features.Add(Bucket("", ""));
        if (features.Count > settings.MaxFeatures) features.RemoveRange(settings.MaxFeatures, features.Count - settings.MaxFeatures);
        return features;
    }

    /// <summary>
    /// A batch as the model reads it: ids (int64 [batch, length]) and mask (float [batch, length, 1]), padded to the
    /// longest prompt of the batch; padding has id 0 and mask 0, so it adds nothing to the mean.
    /// </summary>
    public (long[] Ids, float[] Mask, int Length) Batch(IReadOnlyList<string> prompts)
    {
        var all = prompts.Select(Features).ToList();
        var length = all.Max(f => f.Count);
        var ids = new long[prompts.Count * length];
        var mask = new float[prompts.Count * length];
        for (var i = 0; i < all.Count; i++)
        {
            for (var j = 0; j < all[i].Count; j++)
            {
                ids[i * length + j] = all[i][j];
                mask[i * length + j] = 1f;
            }
        }
        return (ids, mask, length);
    }

    /// <summary>Lower-case letters and digits; everything else separates words (so "n.u.d.e" still yields its letters).</summary>
    public static List<string> Words(string text)
    {
        var words = new List<string>();
        var current = new StringBuilder();
        foreach (var ch in text.Normalize(NormalizationForm.FormKC))
        {
            if (char.IsLetterOrDigit(ch)) current.Append(char.ToLower(ch, CultureInfo.InvariantCulture));
            else if (current.Length > 0) { words.Add(current.ToString()); current.Clear(); }
        }
        if (current.Length > 0) words.Add(current.ToString());
        return words;
    }

    /// <summary>
    /// FNV-1a over the UTF-8 of <paramref name="prefix"/> (ASCII) and then <paramref name="text"/>: the hash of the
    /// concatenated feature, without making it (a prompt has hundreds of features; a string for each would be most of
    /// what a check allocates).
    /// </summary>
    private int Bucket(string prefix, ReadOnlySpan<char> text)
    {
        var hash = 2166136261u;
        foreach (var c in prefix) hash = (hash ^ c) * 16777619u;
        var most = Encoding.UTF8.GetMaxByteCount(text.Length);
        Span<byte> utf8 = most <= 256 ? stackalloc byte[256] : new byte[most];
        foreach (var b in utf8[..Encoding.UTF8.GetBytes(text, utf8)]) hash = (hash ^ b) * 16777619u;
        return (int)(hash % (uint)settings.Buckets);
    }
}
