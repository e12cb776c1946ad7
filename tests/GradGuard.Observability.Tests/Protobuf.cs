using System.Buffers.Binary;
using System.Text;

namespace GradGuard.Observability.Tests;

/// <summary>One field of a protobuf message: a number with either a scalar or a length-delimited payload.</summary>
public readonly record struct ProtobufField(int Number, ulong Scalar, ReadOnlyMemory<byte> Payload)
{
    public string AsString => Encoding.UTF8.GetString(Payload.Span);

    /// <summary>A <c>double</c> (wire type fixed64).</summary>
    public double AsDouble => BitConverter.UInt64BitsToDouble(Scalar);

    /// <summary>An <c>int64</c>, <c>sfixed64</c> or <c>bool</c>, which keep two's complement on the wire.</summary>
    public long AsInt64 => unchecked((long)Scalar);
}

/// <summary>
/// The protobuf wire format, just enough to walk a message's fields: the OTLP test reads the few fields it checks by
/// number (no OpenTelemetry.Proto package is available, and generated code would dwarf the test).
/// </summary>
public static class Protobuf
{
    private const int Varint = 0;
    private const int Fixed64 = 1;
    private const int LengthDelimited = 2;
    private const int Fixed32 = 5;

    public static IEnumerable<ProtobufField> Fields(ReadOnlyMemory<byte> message)
    {
        int position = 0;
        while (position < message.Length)
        {
            ulong key = ReadVarint(message.Span, ref position);
            int number = (int)(key >> 3);
            switch ((int)(key & 7))
            {
                case Varint:
                    yield return new ProtobufField(number, ReadVarint(message.Span, ref position), ReadOnlyMemory<byte>.Empty);
                    break;
                case Fixed64:
                    yield return new ProtobufField(number, BinaryPrimitives.ReadUInt64LittleEndian(Take(message, ref position, 8).Span), ReadOnlyMemory<byte>.Empty);
                    break;
                case LengthDelimited:
                    int length = checked((int)ReadVarint(message.Span, ref position));
                    yield return new ProtobufField(number, 0, Take(message, ref position, length));
                    break;
                case Fixed32:
                    yield return new ProtobufField(number, BinaryPrimitives.ReadUInt32LittleEndian(Take(message, ref position, 4).Span), ReadOnlyMemory<byte>.Empty);
                    break;
                default:
                    throw new InvalidDataException($"Field {number} has wire type {key & 7}, which OTLP messages do not use.");
            }
        }
    }

    private static ulong ReadVarint(ReadOnlySpan<byte> data, ref int position)
    {
        ulong value = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            byte next = position < data.Length ? data[position++] : throw new InvalidDataException("A varint runs past the end of the message.");
            value |= (ulong)(next & 0x7F) << shift;
            if ((next & 0x80) == 0)
            {
                return value;
            }
        }

        throw new InvalidDataException("A varint is longer than ten bytes.");
    }

    private static ReadOnlyMemory<byte> Take(ReadOnlyMemory<byte> data, ref int position, int length)
    {
        if (length < 0 || position + length > data.Length)
        {
            throw new InvalidDataException($"A field of {length} bytes at offset {position} runs past the end of the {data.Length}-byte message.");
        }

        var slice = data.Slice(position, length);
        position += length;
        return slice;
    }
}
