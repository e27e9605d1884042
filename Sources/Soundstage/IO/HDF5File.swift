import CHDF5
import Foundation

/// A small writer and reader of HDF5 files (libhdf5, The HDF Group) for datasets of impulse
/// responses: groups, 1-D or 2-D float32 datasets (deflate-compressed in chunks) and scalar
/// attributes (integers, doubles, strings). Every call's status is checked; a failure throws
/// naming the file and the object.
public final class HDF5File {
    public let path: String
    private let file: hid_t

    public enum Mode { case create, read }

    public init(path: String, mode: Mode) throws {
        ss_h5_quiet()
        self.path = path
        let id = mode == .create ? H5Fcreate(path, ss_h5f_acc_trunc(), ss_h5p_default(), ss_h5p_default())
                                 : H5Fopen(path, ss_h5f_acc_rdonly(), ss_h5p_default())
        guard id >= 0 else { throw FileError(path: path, reason: mode == .create ? "cannot create an HDF5 file" : "not a readable HDF5 file") }
        file = id
    }

    deinit { H5Fclose(file) }

    /// Flushes and closes (further calls fail).
    public func close() throws {
        guard H5Fflush(file, H5F_SCOPE_GLOBAL) >= 0 else { throw FileError(path: path, reason: "cannot write the HDF5 file") }
    }

    private func check(_ status: herr_t, _ what: String) throws {
        guard status >= 0 else { throw FileError(path: path, reason: "HDF5: \(what) failed") }
    }
    private func check(_ id: hid_t, _ what: String) throws -> hid_t {
        guard id >= 0 else { throw FileError(path: path, reason: "HDF5: \(what) failed") }
        return id
    }

    /// Creates group `name` (an absolute path such as "/scene-0000012").
    public func createGroup(_ name: String) throws {
        let g = try check(H5Gcreate2(file, name, ss_h5p_default(), ss_h5p_default(), ss_h5p_default()), "creating group \(name)")
        H5Gclose(g)
    }

    /// Writes `values` (row-major, `shape` its dimensions) as a float32 dataset, chunked and deflated.
    public func writeFloats(_ name: String, _ values: [Float], shape: [Int]) throws {
        precondition(shape.reduce(1, *) == values.count && !shape.isEmpty)
        var dims = shape.map { hsize_t($0) }
        let space = try check(H5Screate_simple(Int32(dims.count), &dims, nil), "dataspace of \(name)")
        defer { H5Sclose(space) }
        let properties = try check(H5Pcreate(ss_h5p_dataset_create()), "properties of \(name)")
        defer { H5Pclose(properties) }
        if values.count > 0 {
            var chunk = dims
            chunk[0] = min(dims[0], 65536)
            try check(H5Pset_chunk(properties, Int32(chunk.count), &chunk), "chunking \(name)")
            try check(H5Pset_deflate(properties, 4), "compressing \(name)")
        }
        let set = try check(H5Dcreate2(file, name, ss_h5t_native_float(), space, ss_h5p_default(), properties, ss_h5p_default()), "creating \(name)")
        defer { H5Dclose(set) }
        try values.withUnsafeBytes { try check(H5Dwrite(set, ss_h5t_native_float(), ss_h5s_all(), ss_h5s_all(), ss_h5p_default(), $0.baseAddress), "writing \(name)") }
    }

    /// Reads a float32 dataset: its values (row-major) and shape.
    public func readFloats(_ name: String) throws -> (values: [Float], shape: [Int]) {
        let set = try check(H5Dopen2(file, name, ss_h5p_default()), "opening \(name)")
        defer { H5Dclose(set) }
        let space = try check(H5Dget_space(set), "dataspace of \(name)")
        defer { H5Sclose(space) }
        let rank = Int(H5Sget_simple_extent_ndims(space))
        guard rank >= 1 else { throw FileError(path: path, reason: "HDF5: \(name) is not an array") }
        var dims = [hsize_t](repeating: 0, count: rank)
        _ = H5Sget_simple_extent_dims(space, &dims, nil)
        let shape = dims.map { Int($0) }
        var values = [Float](repeating: 0, count: shape.reduce(1, *))
        try values.withUnsafeMutableBytes { try check(H5Dread(set, ss_h5t_native_float(), ss_h5s_all(), ss_h5s_all(), ss_h5p_default(), $0.baseAddress), "reading \(name)") }
        return (values, shape)
    }

    /// An attribute value.
    public enum Attribute: Equatable { case integer(Int64), double(Double), string(String) }

    /// Sets attribute `key` of object `name` (a group or dataset path).
    public func setAttribute(_ key: String, _ value: Attribute, on name: String) throws {
        let scalar = try check(H5Screate(H5S_SCALAR), "dataspace of \(name).\(key)")
        defer { H5Sclose(scalar) }
        var type: hid_t
        switch value {
        case .integer: type = ss_h5t_native_int64()
        case .double: type = ss_h5t_native_double()
        case .string(let s):
            type = try check(H5Tcopy(ss_h5t_c_s1()), "string type")
            try check(H5Tset_size(type, max(1, s.utf8.count)), "string size")
        }
        defer { if case .string = value { H5Tclose(type) } }
        let attribute = try check(H5Acreate_by_name(file, name, key, type, scalar, ss_h5p_default(), ss_h5p_default(), ss_h5p_default()), "creating \(name).\(key)")
        defer { H5Aclose(attribute) }
        switch value {
        case .integer(var v): try check(H5Awrite(attribute, type, &v), "writing \(name).\(key)")
        case .double(var v): try check(H5Awrite(attribute, type, &v), "writing \(name).\(key)")
        case .string(let s):
            var bytes = Array(s.utf8)
            if bytes.isEmpty { bytes = [0] }
            try check(H5Awrite(attribute, type, bytes), "writing \(name).\(key)")
        }
    }

    /// Reads attribute `key` of object `name` as written by `setAttribute`.
    public func attribute(_ key: String, of name: String) throws -> Attribute {
        let attribute = try check(H5Aopen_by_name(file, name, key, ss_h5p_default(), ss_h5p_default()), "opening \(name).\(key)")
        defer { H5Aclose(attribute) }
        let type = try check(H5Aget_type(attribute), "type of \(name).\(key)")
        defer { H5Tclose(type) }
        switch H5Tget_class(type) {
        case H5T_INTEGER:
            var v: Int64 = 0
            try check(H5Aread(attribute, ss_h5t_native_int64(), &v), "reading \(name).\(key)")
            return .integer(v)
        case H5T_FLOAT:
            var v = 0.0
            try check(H5Aread(attribute, ss_h5t_native_double(), &v), "reading \(name).\(key)")
            return .double(v)
        default:
            var bytes = [UInt8](repeating: 0, count: H5Tget_size(type))
            try check(H5Aread(attribute, type, &bytes), "reading \(name).\(key)")
            return .string(String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self))
        }
    }
}
