using System.Collections;
using Dapper;
using Npgsql;

namespace ModerationConsole.Embeddings;

/// <summary>Reads and writes <c>image_embeddings</c>; writes join the caller's transaction (scores and audit commit with them).</summary>
public static class EmbeddingStore
{
    /// <summary>Stores each image's vector (already normalised) with its sketch; an image already stored is left as it is.</summary>
    public static async Task WriteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string backbone,
        IReadOnlyList<(byte[] ImageSha256, float[] Vector)> embeddings)
    {
        if (embeddings.Count == 0) return;
        // Items share images: each image's bytes and sketch are worked out once, and not at all when already stored.
        var distinct = embeddings.DistinctBy(e => Convert.ToHexString(e.ImageSha256)).ToList();
        var stored = (await connection.QueryAsync<byte[]>(
                "select image_sha256 from image_embeddings where backbone = @backbone and image_sha256 = any(@shas)",
                new { backbone, shas = distinct.Select(e => e.ImageSha256).ToArray() }, transaction))
            .Select(Convert.ToHexString).ToHashSet();
        var missing = distinct.Where(e => !stored.Contains(Convert.ToHexString(e.ImageSha256))).ToList();
        if (missing.Count == 0) return;
        await connection.ExecuteAsync(
            """
            insert into image_embeddings (backbone, image_sha256, embedding, sketch)
            select @backbone, s.sha, s.embedding, s.sketch
            from unnest(@shas, @embeddings, @sketches) as s (sha, embedding, sketch)
            on conflict do nothing
            """,
            new
            {
                backbone,
                shas = missing.Select(e => e.ImageSha256).ToArray(),
                embeddings = missing.Select(e => EmbeddingVector.ToHalfBytes(e.Vector)).ToArray(),
                sketches = missing.Select(e => EmbeddingVector.Sketch(e.Vector)).ToArray(),
            }, transaction);
    }

    /// <summary>Candidates near <paramref name="sketch"/> by Hamming distance, at most <paramref name="maxDistance"/> bits apart.</summary>
    public static async Task<IReadOnlyList<(byte[] ImageSha256, int Distance, float[] Vector)>> CandidatesAsync(NpgsqlConnection connection,
        string backbone, BitArray sketch, byte[] except, int maxDistance, int limit)
    {
        var rows = await connection.QueryAsync<(byte[] Sha, int Distance, byte[] Embedding)>(
            """
            select image_sha256, bit_count(sketch # @sketch)::int as distance, embedding from image_embeddings
            where backbone = @backbone and image_sha256 <> @except and bit_count(sketch # @sketch) <= @maxDistance
            order by distance limit @limit
            """, new { backbone, sketch, except, maxDistance, limit });
        return rows.Select(r => (r.Sha, r.Distance, EmbeddingVector.FromHalfBytes(r.Embedding))).ToList();
    }
}
